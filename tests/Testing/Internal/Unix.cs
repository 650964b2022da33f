using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Dapr.Testing.Internal;

internal static class Unix
{
    public const int SigInt = 2;
    public const int SigKill = 9;
    public const int SigTerm = 15;

    /// <summary>Sends a signal; .NET has no API to signal another process except SIGKILL.</summary>
    /// <returns>False when the process no longer exists.</returns>
    public static bool Signal(int pid, int signal)
    {
        if (kill(pid, signal) == 0)
        {
            return true;
        }

        var errno = Marshal.GetLastPInvokeError();
        const int ESRCH = 3;
        if (errno == ESRCH)
        {
            return false;
        }

        throw new Win32Exception(errno, $"kill({pid}, {signal}) failed");
    }

    /// <summary>Finds an executable on PATH the way a shell would.</summary>
    public static string? FindOnPath(string name)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (IsExecutable(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    public static bool IsExecutable(string file) =>
        !OperatingSystem.IsWindows() &&
        File.Exists(file) &&
        (File.GetUnixFileMode(file) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;

    public static void EnsureSupported()
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException(
                "Dapr.Testing starts real PostgreSQL and Redis servers as child processes and supports Linux and macOS only.");
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}
