using System.Collections.Concurrent;
using System.Diagnostics;

namespace Dapr.Testing.Internal;

/// <summary>A server or tool started by this library, with the tail of its output kept for error messages.</summary>
internal sealed class ChildProcess : IDisposable
{
    private const int TailLines = 200;

    // setpriv --pdeathsig makes the kernel kill the child when the thread that forked it dies, which covers the
    // one case no handler in this process can: the test host being SIGKILLed (by a runner's hang timeout, say).
    // The kernel ties that signal to the forking *thread*, and .NET forks on the calling thread, so children
    // must be started from one thread that lives as long as the process, or a retiring thread-pool thread
    // would take a healthy server down with it.
    private static readonly BlockingCollection<Action> SpawnQueue = StartSpawnerThread();
    private static readonly string? SetPriv = Unix.FindOnPath("setpriv");

    private readonly Process _process;
    private readonly Queue<string> _tail = new();
    private readonly Lock _tailGate = new();
    private readonly List<ProcFs.ProcessIdentity> _killedDescendants = [];

    private ChildProcess(Process process, string description)
    {
        _process = process;
        Description = description;
    }

    public string Description { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>The last lines the process wrote to stdout and stderr.</summary>
    public string Output
    {
        get
        {
            lock (_tailGate)
            {
                return string.Join('\n', _tail);
            }
        }
    }

    /// <param name="runAs">Start the program as this OS user (we must be root); null runs it as ourselves.</param>
    public static ChildProcess Start(
        string file, IReadOnlyList<string> args, string workingDirectory, OsUser? runAs,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        Unix.EnsureSupported();
        var (launcher, launcherArgs) = Wrap(file, args, runAs);
        var startInfo = new ProcessStartInfo(launcher)
        {
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in launcherArgs)
        {
            startInfo.ArgumentList.Add(arg);
        }

        // The servers' messages are matched (e.g. "Address already in use") and shown in failures; keep them
        // untranslated whatever locale the developer's shell has.
        startInfo.Environment["LC_ALL"] = "C";
        startInfo.Environment["LANG"] = "C";
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            startInfo.Environment[name] = value;
        }

        var description = $"{file} {string.Join(' ', args)}" + (runAs is null ? "" : $" (as {runAs.Name})");
        var process = StartOnSpawnerThread(startInfo, description);
        var child = new ChildProcess(process, description);
        process.OutputDataReceived += (_, e) => child.Append(e.Data);
        process.ErrorDataReceived += (_, e) => child.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        // Nothing we start reads stdin; closing it keeps children off the test runner's terminal.
        process.StandardInput.Close();
        return child;
    }

    /// <summary>Runs a short-lived tool to completion.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(
        string file,
        IReadOnlyList<string> args,
        TimeSpan timeout,
        OsUser? runAs = null,
        string? workingDirectory = null,
        bool throwOnFailure = true)
    {
        using var child = Start(file, args, workingDirectory ?? Path.GetTempPath(), runAs);
        if (!await child.WaitForExitAsync(timeout).ConfigureAwait(false))
        {
            child.KillTree();
            throw new TimeoutException($"`{child.Description}` did not finish within {timeout}. Output:\n{child.Output}");
        }

        if (throwOnFailure && child.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"`{child.Description}` failed with exit code {child.ExitCode}. Output:\n{child.Output}");
        }

        return (child.ExitCode, child.Output);
    }

    /// <returns>
    /// True when, within <paramref name="timeout"/>, the process exited, its output was read to the end and
    /// every descendant <see cref="KillTree"/> killed is gone.
    /// </returns>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
            while (KilledDescendantsStillAlive())
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20), cts.Token).ConfigureAwait(false);
            }

            return true;
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <inheritdoc cref="WaitForExitAsync"/>
    public bool WaitForExit(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        if (!_process.WaitForExit(timeout))
        {
            return false;
        }

        while (KilledDescendantsStillAlive())
        {
            if (clock.Elapsed > timeout)
            {
                return false;
            }

            Thread.Sleep(20);
        }

        return true;
    }

    /// <summary>Sends a signal to the process (not its children).</summary>
    public void Signal(int signal)
    {
        if (!_process.HasExited)
        {
            Unix.Signal(_process.Id, signal);
        }
    }

    /// <summary>SIGKILLs the process and everything it started (PostgreSQL backends would otherwise live on).</summary>
    /// <remarks>
    /// Not Process.Kill(entireProcessTree): that SIGSTOPs each process before killing it, and when this process
    /// is itself killed in between (vstest kills its test host 100 ms after the last test, often mid-cleanup),
    /// the stopped ones stay stopped forever. Killing without stopping leaves at worst a process that dies a
    /// moment later. The descendants are waited for by <see cref="WaitForExitAsync"/>.
    /// </remarks>
    public void KillTree()
    {
        if (_process.HasExited)
        {
            return;
        }

        if (!OperatingSystem.IsLinux())
        {
            _process.Kill(entireProcessTree: true);
            return;
        }

        // Snapshot first: once the parent is dead its children are re-parented and can no longer be found.
        var descendants = ProcFs.Descendants(_process.Id);
        _process.Kill();
        foreach (var descendant in descendants)
        {
            descendant.Kill();
        }

        lock (_tailGate)
        {
            _killedDescendants.AddRange(descendants);
        }
    }

    private bool KilledDescendantsStillAlive()
    {
        lock (_tailGate)
        {
            return _killedDescendants.Any(descendant => descendant.IsAlive());
        }
    }

    public void Dispose() => _process.Dispose();

    public override string ToString() => $"{Description} [pid {_process.Id}]";

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_tailGate)
        {
            if (_tail.Count == TailLines)
            {
                _tail.Dequeue();
            }

            _tail.Enqueue(line);
        }
    }

    private static (string File, IReadOnlyList<string> Args) Wrap(string file, IReadOnlyList<string> args, OsUser? runAs)
    {
        if (SetPriv is not null)
        {
            var wrapped = new List<string>();
            if (runAs is not null)
            {
                wrapped.AddRange([$"--reuid={runAs.Uid}", $"--regid={runAs.Gid}", "--init-groups"]);
            }

            // setpriv sets the parent-death signal after changing user (a uid change would clear it) and then
            // execs, so the server is our direct child and signals we send reach it, not a wrapper.
            wrapped.AddRange(["--pdeathsig", "KILL", "--", file]);
            wrapped.AddRange(args);
            return (SetPriv, wrapped);
        }

        if (runAs is null)
        {
            return (file, args);
        }

        // runuser stays as the parent of the server; KillTree still reaches the server, and PostgresServer
        // signals the postmaster by the pid in postmaster.pid, so this works, minus the parent-death guard.
        var runuser = Unix.FindOnPath("runuser") ?? throw new InvalidOperationException(
            $"Cannot start {file} as the OS user '{runAs.Name}': neither setpriv nor runuser is on PATH. " +
            "Install util-linux (`apt-get install util-linux`) or run the tests as a non-root user.");
        return (runuser, ["-u", runAs.Name, "--", file, .. args]);
    }

    private static Process StartOnSpawnerThread(ProcessStartInfo startInfo, string description)
    {
        var started = new TaskCompletionSource<Process>(TaskCreationOptions.RunContinuationsAsynchronously);
        SpawnQueue.Add(() =>
        {
            try
            {
                started.SetResult(Process.Start(startInfo)
                    ?? throw new InvalidOperationException($"Process.Start returned no process for `{description}`."));
            }
            catch (Exception e)
            {
                started.SetException(new InvalidOperationException($"Could not start `{description}`: {e.Message}", e));
            }
        });
        return started.Task.GetAwaiter().GetResult();
    }

    private static BlockingCollection<Action> StartSpawnerThread()
    {
        var queue = new BlockingCollection<Action>();
        var thread = new Thread(() =>
        {
            foreach (var spawn in queue.GetConsumingEnumerable())
            {
                spawn();
            }
        })
        {
            IsBackground = true,
            Name = "Dapr.Testing child process spawner",
        };
        thread.Start();
        return queue;
    }
}

internal static class StringExtensions
{
    /// <summary>The last <paramref name="lines"/> lines, for error messages that must stay readable.</summary>
    public static string LastLines(this string text, int lines)
    {
        var all = text.Split('\n');
        return all.Length <= lines ? text : string.Join('\n', all[^lines..]);
    }
}
