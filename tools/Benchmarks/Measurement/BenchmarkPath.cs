using System.Diagnostics;

namespace Benchmarks.Measurement;

public enum PathRole
{
    /// <summary>The same work done straight on the backing service: what the other paths are compared with.</summary>
    Baseline,

    /// <summary>A path whose cost over the baseline is what the benchmark is after (here: through the sidecar).</summary>
    Measured,
}

/// <summary>
/// One way of doing a scenario's operation. <see cref="Operation"/> runs it once for a worker and returns the latency
/// to record, in <see cref="Stopwatch"/> ticks; most paths time the call (<see cref="Timed"/>), a publish-to-delivery
/// path returns arrival minus publish time.
/// </summary>
public sealed record BenchmarkPath(string Name, PathRole Role, Func<int, CancellationToken, ValueTask<long>> Operation)
{
    /// <summary>A path whose latency is the duration of one call of <paramref name="operation"/>.</summary>
    public static BenchmarkPath Timed(string name, PathRole role, Func<int, CancellationToken, Task> operation)
        => new(name, role, async (worker, ct) =>
        {
            var start = Stopwatch.GetTimestamp();
            await operation(worker, ct).ConfigureAwait(false);
            return Stopwatch.GetTimestamp() - start;
        });
}

/// <summary>
/// Paths measured side by side in one run: one baseline, the rest compared with it. <paramref name="Owned"/> is what
/// the paths need while they run (a consumer, a connection) and is disposed after the scenario.
/// </summary>
public sealed record Scenario(string Id, string Title, IReadOnlyList<BenchmarkPath> Paths, IAsyncDisposable? Owned = null)
{
    public BenchmarkPath Baseline => Paths.Single(p => p.Role == PathRole.Baseline);
}
