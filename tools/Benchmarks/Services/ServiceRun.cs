using System.Globalization;
using Benchmarks.Cli;
using Benchmarks.Measurement;
using Dapr.Testing;

namespace Benchmarks.Services;

/// <summary>The measuring and reporting the service commands share with <c>platform</c>: warm up all, then interleaved rounds.</summary>
public static class ServiceRun
{
    /// <summary>
    /// Warms up every path of every scenario before measuring any (the JIT of the app, its sidecar and this process
    /// keeps promoting methods for seconds after a path first runs), then measures each scenario in interleaved rounds.
    /// </summary>
    public static async Task<IReadOnlyList<ScenarioResult>> MeasureAsync(
        IReadOnlyList<Scenario> scenarios, LoadSettings load, IReadOnlyList<CpuSource> cpu, TextWriter progress, CancellationToken ct)
    {
        foreach (var scenario in scenarios)
        {
            await InterleavedComparison.WarmUpAsync(scenario, load, progress, ct).ConfigureAwait(false);
        }

        var results = new List<ScenarioResult>();
        foreach (var scenario in scenarios)
        {
            results.Add(await InterleavedComparison.MeasureAsync(scenario, load, cpu, progress, ct).ConfigureAwait(false));
        }

        return results;
    }

    /// <summary>This process, and PostgreSQL's postmaster with its backends (where the queries' CPU goes).</summary>
    public static async Task<IReadOnlyList<CpuSource>> CpuSourcesAsync(PostgresServer? postgres)
    {
        if (!CpuSource.Supported)
        {
            return [];
        }

        var sources = new List<CpuSource> { CpuSource.Self("benchmark") };
        if (postgres is not null)
        {
            // postmaster.pid's first line is the postmaster's pid; every backend is its child.
            var postmaster = (await File.ReadAllLinesAsync(Path.Combine(postgres.DataDirectory, "postmaster.pid")).ConfigureAwait(false))[0];
            sources.Add(CpuSource.ProcessTree("postgres", int.Parse(postmaster, CultureInfo.InvariantCulture)));
        }

        return sources;
    }

    public static void Print(
        string title, string? loadBefore, LoadSettings load, IEnumerable<(string Name, string Value)> parameters,
        IReadOnlyList<ScenarioResult> results, IEnumerable<string> notes)
    {
        var output = Console.Out;
        var rounds = results.Count == 0 ? 0 : results[0].Paths[0].Rounds;
        ReportPrinter.PrintHeader(output, $"{title} ({LoadFlags.Describe(load)})",
        [
            ("load average", $"{loadBefore ?? "n/a"} before, {MachineInfo.LoadAverage() ?? "n/a"} after"),
            .. parameters,
            ("load", $"{LoadFlags.Describe(load)}, duration {CommandLine.Format(load.Duration)} per path " +
                     (rounds > 1 ? $"in {rounds} interleaved rounds, " : "in one run, ") +
                     $"warm-up {CommandLine.Format(load.Warmup)} per path before any measuring"),
        ]);
        ReportPrinter.PrintResults(output, results);
        if (load.Rate is { } target && results.SelectMany(r => r.Paths).Where(p => p.Throughput < 0.95 * target).ToList() is { Count: > 0 } behind)
        {
            output.WriteLine();
            output.WriteLine($"note: these paths did not keep up with {target.ToString("0", CultureInfo.InvariantCulture)} ops/s, so their latencies include queueing: " +
                             string.Join("; ", behind.Select(p => $"{p.Path.Name} ({p.Throughput.ToString("0", CultureInfo.InvariantCulture)} ops/s)")));
        }

        foreach (var note in notes)
        {
            output.WriteLine();
            output.WriteLine(note);
        }
    }

    /// <summary>"p99 12.345 ms against the issue's target of 20 ms: within" — a reading, not a verdict the exit code carries.</summary>
    public static string AgainstTarget(string what, PathResult path, double targetMilliseconds)
    {
        var p99 = path.Histogram.PercentileNanoseconds(99) / 1e6;
        return $"  {what}: p99 {p99.ToString("0.000", CultureInfo.InvariantCulture)} ms against the target of " +
               $"{targetMilliseconds.ToString("0", CultureInfo.InvariantCulture)} ms at p99: {(p99 <= targetMilliseconds ? "within" : "over")}";
    }
}
