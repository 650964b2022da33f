using System.Diagnostics;
using System.Runtime.InteropServices;
using Runner.Processes;

namespace Runner.Launching;

/// <summary>
/// When the real Dapr CLI is installed it does the whole job: <c>dapr run -f</c> with our stdio,
/// our signals passed on, and its exit code as ours. Signals must be passed on explicitly because
/// <c>dapr run -f</c> moves itself into its own process group, out of reach of the terminal's Ctrl-C.
/// </summary>
public static class DaprCliHandOff
{
    public static async Task<int> RunAsync(string daprPath, string runFilePath)
    {
        var info = new ProcessStartInfo { FileName = daprPath, UseShellExecute = false };
        foreach (var arg in (string[])["run", "-f", runFilePath])
        {
            info.ArgumentList.Add(arg);
        }
        using var process = Process.Start(info)
            ?? throw new RunnerException($"could not start {daprPath}");

        void Forward(PosixSignalContext context)
        {
            context.Cancel = true;
            var signal = context.Signal == PosixSignal.SIGTERM ? Posix.SigTerm : Posix.SigInt;
            if (!process.HasExited)
            {
                Posix.Send(process.Id, signal);
            }
        }
        using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Forward);
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Forward);
        await process.WaitForExitAsync();
        return process.ExitCode;
    }
}
