using Runner.Processes;

namespace Runner.Infrastructure;

/// <summary>A server this runner started itself and therefore has to stop again.</summary>
public sealed class RunningServer(string name, ChildProcess process, Action requestShutdown)
{
    public string Name { get; } = name;

    public ChildProcess Process { get; } = process;

    /// <summary>Asks the server to shut down its own way; after <paramref name="grace"/> its process tree is killed.</summary>
    public Task<int> StopAsync(TimeSpan grace, CancellationToken force) => Process.StopAsync(grace, requestShutdown, force);
}
