namespace Runner.Infrastructure;

/// <summary>
/// PostgreSQL and Redis for a local run. Remembers which servers it started, because only those
/// are its to stop: a server somebody else started keeps running.
/// </summary>
public sealed class LocalInfrastructure(InfraSettings settings, Func<string, string?> getEnvironmentVariable, Action<string, string> onOutput, Action<string> onStatus)
{
    private readonly List<RunningServer> _started = [];

    public IReadOnlyList<RunningServer> Started => _started;

    public async Task StartAsync(CancellationToken cancel)
    {
        var postgres = new LocalPostgres(settings, getEnvironmentVariable, line => onOutput("postgres", line), onStatus);
        if (await postgres.EnsureRunningAsync(cancel) is { } startedPostgres)
        {
            _started.Add(startedPostgres);
        }
        var redis = new LocalRedis(settings, getEnvironmentVariable, line => onOutput("redis", line), onStatus);
        if (await redis.EnsureRunningAsync(cancel) is { } startedRedis)
        {
            _started.Add(startedRedis);
        }
    }

    public async Task StopAsync(TimeSpan grace, CancellationToken force)
    {
        var running = _started.Where(s => !s.Process.HasExited).ToList();
        if (running.Count == 0)
        {
            return;
        }
        onStatus($"Stopping {string.Join(" and ", running.Select(s => s.Name))}");
        await Task.WhenAll(running.Select(s => s.StopAsync(grace, force)));
        _started.Clear();
    }
}
