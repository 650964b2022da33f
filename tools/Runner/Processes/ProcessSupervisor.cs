using Runner.Output;

namespace Runner.Processes;

/// <summary>An app or sidecar the supervisor started, with where its output goes.</summary>
public sealed record SupervisedProcess(OutputSource Source, string AppId, ChildProcess Child, ProcessOutputRoute Route)
{
    public string Describe() => Source == OutputSource.App ? $"app '{AppId}'" : $"sidecar of '{AppId}'";
}

/// <summary>
/// Keeps the apps and sidecars running: reports any that end on their own (the rest keep going, as
/// with the Dapr CLI), tells when all have ended, and stops them in order: apps, then sidecars.
/// </summary>
public sealed class ProcessSupervisor(RunnerConsole console)
{
    private readonly List<SupervisedProcess> _processes = [];
    private readonly List<Task> _watchers = [];
    private readonly TaskCompletionSource _allExited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private volatile bool _stopping;
    private volatile bool _allStarted;

    public IReadOnlyList<SupervisedProcess> Processes
    {
        get
        {
            lock (_gate)
            {
                return [.. _processes];
            }
        }
    }

    /// <summary>Completes when every started process has ended without being asked to.</summary>
    public Task AllExited => _allExited.Task;

    /// <summary>True when every process that ended on its own ended with exit code 0.</summary>
    public bool AllEndedCleanly { get; private set; } = true;

    public SupervisedProcess Start(OutputSource source, string appId, ProcessSpec spec, ProcessOutputRoute route)
    {
        var child = ChildProcess.Start(spec, route.Write);
        var supervised = new SupervisedProcess(source, appId, child, route);
        lock (_gate)
        {
            _processes.Add(supervised);
            _watchers.Add(WatchAsync(supervised));
        }
        return supervised;
    }

    /// <summary>From now on, every process having ended means the run is over (during start-up it does not yet).</summary>
    public void MarkAllStarted()
    {
        _allStarted = true;
        CompleteIfAllEnded();
    }

    public async Task StopAllAsync(TimeSpan grace, CancellationToken force)
    {
        _stopping = true;
        await StopAsync(OutputSource.App, grace, force);
        await StopAsync(OutputSource.Dapr, grace, force);
        Task[] watchers;
        lock (_gate)
        {
            watchers = [.. _watchers];
        }
        await Task.WhenAll(watchers);
    }

    private async Task StopAsync(OutputSource source, TimeSpan grace, CancellationToken force)
    {
        var running = Processes.Where(p => p.Source == source && !p.Child.HasExited).ToList();
        if (running.Count == 0)
        {
            return;
        }
        console.Info($"Stopping {string.Join(", ", running.Select(p => p.Describe()))}");
        await Task.WhenAll(running.Select(p => p.Child.StopAsync(grace, force: force)));
    }

    private async Task WatchAsync(SupervisedProcess process)
    {
        var code = await process.Child.Exited;
        process.Route.Dispose();
        if (_stopping)
        {
            return;
        }
        if (code == 0)
        {
            console.Warn($"{process.Describe()} exited with code 0");
        }
        else
        {
            AllEndedCleanly = false;
            console.Error($"{process.Describe()} exited with code {code}");
        }
        if (!CompleteIfAllEnded())
        {
            console.Info("The other apps and sidecars keep running; press Ctrl-C to stop them.");
        }
    }

    private bool CompleteIfAllEnded()
    {
        bool allEnded;
        lock (_gate)
        {
            allEnded = _allStarted && _processes.All(p => p.Child.HasExited);
        }
        if (allEnded)
        {
            _allExited.TrySetResult();
        }
        return allEnded;
    }
}
