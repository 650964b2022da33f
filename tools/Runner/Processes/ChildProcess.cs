using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace Runner.Processes;

/// <summary>What to start; <see cref="Environment"/> entries are applied on top of ours, in order.</summary>
public sealed record ProcessSpec(
    string Description,
    string FileName,
    IReadOnlyList<string> Arguments,
    string? WorkingDirectory = null,
    IReadOnlyList<KeyValuePair<string, string>>? Environment = null);

/// <summary>
/// One started program whose stdout and stderr are delivered line by line. On Linux it is started
/// through <c>setsid</c> so that it leads its own process group: a Ctrl-C in the terminal then
/// reaches only the runner, which stops things in order, and the whole group (e.g. <c>dotnet run</c>
/// and the app it spawns) can be signalled or killed at once.
/// </summary>
public sealed class ChildProcess
{
    private static readonly string? Setsid = OperatingSystem.IsLinux() ? ExecutableLocator.FindOnPath("setsid") : null;

    private readonly Process _process;
    private readonly Task _pumps;

    private ChildProcess(ProcessSpec spec, Process process, bool ownGroup, Action<string> onLine)
    {
        Spec = spec;
        _process = process;
        OwnsProcessGroup = ownGroup;
        Pid = process.Id;
        _pumps = Task.WhenAll(Pump(process.StandardOutput, onLine), Pump(process.StandardError, onLine));
        Exited = WaitForExitCodeAsync();
    }

    public ProcessSpec Spec { get; }
    public int Pid { get; }
    public bool OwnsProcessGroup { get; }

    /// <summary>Completes with the exit code once the process has ended and its output has been delivered.</summary>
    public Task<int> Exited { get; }

    public bool HasExited => Exited.IsCompleted;

    public static ChildProcess Start(ProcessSpec spec, Action<string> onLine)
    {
        var program = ExecutableLocator.Resolve(spec.FileName)
            ?? throw new ProcessStartException($"{spec.Description}: program '{spec.FileName}' was not found{(spec.FileName.Contains('/') ? " or is not executable" : " on PATH")}");

        var ownGroup = Setsid is not null;
        var info = new ProcessStartInfo
        {
            FileName = ownGroup ? Setsid! : program,
            WorkingDirectory = spec.WorkingDirectory ?? "",
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        if (ownGroup)
        {
            info.ArgumentList.Add(program);
        }
        foreach (var argument in spec.Arguments)
        {
            info.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in spec.Environment ?? [])
        {
            info.Environment[name] = value;
        }

        var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            process.Dispose();
            throw new ProcessStartException($"{spec.Description}: could not start '{program}': {e.Message}", e);
        }
        // Nothing is ever typed into children; closing stdin makes a program that waits for input see EOF instead of hanging.
        process.StandardInput.Close();
        return new ChildProcess(spec, process, ownGroup, onLine);
    }

    /// <summary>Sends a signal to the program (and, when it leads one, its whole process group).</summary>
    public void Signal(int signal)
    {
        if (HasExited && !OwnsProcessGroup)
        {
            return;
        }
        // Right after start, setsid may not have run yet, so the group may not exist: fall back to the process itself.
        if (!(OwnsProcessGroup && Posix.Send(-Pid, signal)) && !HasExited)
        {
            Posix.Send(Pid, signal);
        }
    }

    /// <summary>
    /// Asks the program to stop (SIGTERM unless <paramref name="requestStop"/> does something else),
    /// waits up to <paramref name="grace"/>, then kills the whole tree.
    /// </summary>
    public async Task<int> StopAsync(TimeSpan grace, Action? requestStop = null, CancellationToken force = default)
    {
        if (!HasExited)
        {
            if (requestStop is null)
            {
                Signal(Posix.SigTerm);
            }
            else
            {
                requestStop();
            }
        }
        using var graceOver = CancellationTokenSource.CreateLinkedTokenSource(force);
        graceOver.CancelAfter(grace);
        await WaitQuietlyAsync(Exited, graceOver.Token);
        // Helpers the program left behind in its group (e.g. the app under 'dotnet run') get the same grace.
        while (OwnsProcessGroup && Posix.GroupIsAlive(Pid) && !graceOver.IsCancellationRequested)
        {
            await Task.Delay(100, CancellationToken.None);
        }
        Kill();
        return await Exited;
    }

    public void Kill()
    {
        if (OwnsProcessGroup && Posix.GroupIsAlive(Pid))
        {
            Posix.Send(-Pid, Posix.SigKill);
        }
        // Also covers programs started without their own group; a no-op once the process has ended.
        _process.Kill(entireProcessTree: true);
    }

    private async Task<int> WaitForExitCodeAsync()
    {
        await _process.WaitForExitAsync();
        // A grandchild may keep the pipes open; its output is not worth blocking shutdown for.
        using var flushTime = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await WaitQuietlyAsync(_pumps, flushTime.Token);
        return _process.ExitCode;
    }

    private static async Task WaitQuietlyAsync(Task task, CancellationToken token)
    {
        var cancelled = new TaskCompletionSource();
        await using (token.Register(() => cancelled.TrySetResult()))
        {
            await Task.WhenAny(task, cancelled.Task);
        }
    }

    private static async Task Pump(StreamReader reader, Action<string> onLine)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            onLine(line);
        }
    }
}

public sealed class ProcessStartException(string message, Exception? inner = null) : Exception(message, inner);
