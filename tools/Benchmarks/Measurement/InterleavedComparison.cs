namespace Benchmarks.Measurement;

/// <summary>How long and how hard each path of a scenario is driven; <paramref name="Rate"/> null = flat out (closed loop).</summary>
public sealed record LoadSettings(int Concurrency, TimeSpan Duration, TimeSpan Warmup, TimeSpan Round, double? Rate = null);

/// <summary>One path's totals over all its measured rounds.</summary>
public sealed record PathResult(BenchmarkPath Path, LatencyHistogram Histogram, TimeSpan Elapsed, int Rounds, IReadOnlyDictionary<string, TimeSpan> Cpu)
{
    public long Operations => Histogram.Count;

    public double Throughput => Operations / Elapsed.TotalSeconds;

    /// <summary>CPU microseconds per operation in the named process, over the measured rounds.</summary>
    public double CpuMicrosecondsPerOperation(string source) => Cpu[source].TotalMicroseconds / Operations;
}

public sealed record ScenarioResult(Scenario Scenario, IReadOnlyList<PathResult> Paths)
{
    public PathResult Baseline => Paths.Single(p => p.Path.Role == PathRole.Baseline);
}

/// <summary>
/// Runs the paths of a scenario side by side: each is warmed up (nothing recorded; a command warms up all its scenarios
/// before it measures any), then the measured time is cut into rounds that alternate between the paths — A B, B A,
/// A B… (with three paths A B C, C B A, …) — so a noisy neighbour, a GC or a vacuum hits every path alike, and no path
/// always runs right after the same other one. Each path gets the same measured time in total.
/// </summary>
public static class InterleavedComparison
{
    /// <summary>Runs every path for the warm-up time, recording nothing.</summary>
    public static async Task WarmUpAsync(Scenario scenario, LoadSettings load, TextWriter progress, CancellationToken cancellationToken)
    {
        if (load.Warmup <= TimeSpan.Zero)
        {
            return;
        }

        foreach (var path in scenario.Paths)
        {
            progress.WriteLine($"[{scenario.Id}] warm-up {path.Name} ({Cli.CommandLine.Format(load.Warmup)})");
            await ClosedLoopRunner.RunAsync(path, load.Concurrency, load.Warmup, [], cancellationToken, load.Rate).ConfigureAwait(false);
        }
    }

    /// <summary>The measured rounds; call <see cref="WarmUpAsync"/> first.</summary>
    public static async Task<ScenarioResult> MeasureAsync(
        Scenario scenario, LoadSettings load, IReadOnlyList<CpuSource> cpu, TextWriter progress, CancellationToken cancellationToken)
    {
        var rounds = Math.Max(1, (int)Math.Ceiling(load.Duration / load.Round));
        var roundLength = load.Duration / rounds;
        var histograms = scenario.Paths.ToDictionary(p => p, _ => new LatencyHistogram());
        var elapsed = scenario.Paths.ToDictionary(p => p, _ => TimeSpan.Zero);
        var cpuUsed = scenario.Paths.ToDictionary(p => p, _ => cpu.ToDictionary(c => c.Name, _ => TimeSpan.Zero));
        progress.WriteLine($"[{scenario.Id}] measuring {rounds} round(s) of {Cli.CommandLine.Format(roundLength)} per path, concurrency {load.Concurrency}");
        for (var round = 0; round < rounds; round++)
        {
            var order = round % 2 == 0 ? scenario.Paths : scenario.Paths.Reverse();
            foreach (var path in order)
            {
                var result = await ClosedLoopRunner.RunAsync(path, load.Concurrency, roundLength, cpu, cancellationToken, load.Rate).ConfigureAwait(false);
                histograms[path].Add(result.Histogram);
                elapsed[path] += result.Elapsed;
                foreach (var (source, used) in result.Cpu)
                {
                    cpuUsed[path][source] += used;
                }
            }
        }

        return new ScenarioResult(scenario, scenario.Paths.Select(p => new PathResult(p, histograms[p], elapsed[p], rounds, cpuUsed[p])).ToList());
    }
}
