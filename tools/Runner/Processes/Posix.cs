using System.Runtime.InteropServices;

namespace Runner.Processes;

/// <summary>
/// The few libc calls .NET does not expose: sending a signal other than SIGKILL, and asking who we run as.
/// </summary>
public static class Posix
{
    public const int SigKill = 9;
    public const int SigInt = 2;
    public const int SigTerm = 15;

    /// <summary>Sends <paramref name="signal"/>; a negative <paramref name="pid"/> addresses a whole process group.</summary>
    public static bool Send(int pid, int signal)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("POSIX signals are not available on Windows");
        }
        return kill(pid, signal) == 0;
    }

    /// <summary>True while at least one process is in the group led by <paramref name="leaderPid"/>.</summary>
    public static bool GroupIsAlive(int leaderPid) => !OperatingSystem.IsWindows() && kill(-leaderPid, 0) == 0;

    public static bool IsRoot => !OperatingSystem.IsWindows() && geteuid() == 0;

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);

    [DllImport("libc")]
    private static extern uint geteuid();
}
