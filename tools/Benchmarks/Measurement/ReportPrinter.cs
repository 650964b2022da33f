using System.Globalization;

namespace Benchmarks.Measurement;

/// <summary>Prints scenario results: one row per path, then each measured path against its scenario's baseline.</summary>
public static class ReportPrinter
{
    public static void PrintHeader(TextWriter writer, string title, IEnumerable<(string Name, string Value)> parameters)
    {
        writer.WriteLine(title);
        var lines = MachineInfo.Describe().Concat(parameters).ToList();
        var width = lines.Max(l => l.Name.Length);
        foreach (var (name, value) in lines)
        {
            writer.WriteLine($"  {name.PadRight(width)}  {value}");
        }

        writer.WriteLine();
    }

    public static void PrintResults(TextWriter writer, IReadOnlyList<ScenarioResult> results)
    {
        var table = new TextTable("scenario", "path", "ops", "ops/s", "p50 ms", "p90 ms", "p99 ms", "max ms").LeftAlign(1);
        foreach (var result in results)
        {
            foreach (var path in result.Paths)
            {
                var h = path.Histogram;
                table.Add(result.Scenario.Id, path.Path.Name,
                    path.Operations.ToString(CultureInfo.InvariantCulture),
                    path.Throughput.ToString("0", CultureInfo.InvariantCulture),
                    Ms(h.PercentileNanoseconds(50)), Ms(h.PercentileNanoseconds(90)), Ms(h.PercentileNanoseconds(99)), Ms(h.MaxNanoseconds));
            }
        }

        writer.Write(table);
        writer.WriteLine();

        // A scenario without a baseline (CDC latency has nothing to be done "directly") has no overhead row.
        var compared = results.Where(r => r.Paths.Any(p => p.Path.Role == PathRole.Baseline)).ToList();
        var overhead = new TextTable("scenario", "path", "baseline", "+p50 ms", "+p99 ms", "p50 ×", "p99 ×", "ops/s ×").LeftAlign(1, 2);
        foreach (var result in compared)
        {
            var baseline = result.Baseline;
            foreach (var path in result.Paths.Where(p => p.Path.Role == PathRole.Measured))
            {
                var o = Overhead.Of(path, baseline);
                overhead.Add(result.Scenario.Id, path.Path.Name, baseline.Path.Name,
                    SignedMs(o.P50Nanoseconds), SignedMs(o.P99Nanoseconds), Ratio(o.P50Ratio), Ratio(o.P99Ratio), Ratio(o.ThroughputRatio));
            }
        }

        if (compared.Count > 0)
        {
            writer.WriteLine("Overhead over the baseline (+ = path − baseline, × = path / baseline)");
            writer.Write(overhead);
        }

        var sources = results.SelectMany(r => r.Paths).SelectMany(p => p.Cpu.Keys).Distinct().ToList();
        if (sources.Count > 0)
        {
            writer.WriteLine();
            writer.WriteLine("CPU time per operation, µs (summed over all threads of each process; whatever else the process did meanwhile counts too)");
            var cpu = new TextTable(["scenario", "path", .. sources, "total"]).LeftAlign(1);
            foreach (var result in results)
            {
                foreach (var path in result.Paths)
                {
                    var perOp = sources.Select(path.CpuMicrosecondsPerOperation).ToList();
                    cpu.Add([result.Scenario.Id, path.Path.Name, .. perOp.Select(Micros), Micros(perOp.Sum())]);
                }
            }

            writer.Write(cpu);
        }
    }

    private static string Micros(double microseconds) => microseconds.ToString("0", CultureInfo.InvariantCulture);

    public static string Ms(long nanoseconds) => (nanoseconds / 1e6).ToString("0.000", CultureInfo.InvariantCulture);

    private static string SignedMs(long nanoseconds) => (nanoseconds >= 0 ? "+" : "") + Ms(nanoseconds);

    private static string Ratio(double ratio) => ratio.ToString("0.00", CultureInfo.InvariantCulture);
}

/// <summary>What a path costs over its baseline.</summary>
public sealed record Overhead(long P50Nanoseconds, long P99Nanoseconds, double P50Ratio, double P99Ratio, double ThroughputRatio)
{
    public static Overhead Of(PathResult path, PathResult baseline)
    {
        long P(PathResult r, double p) => r.Histogram.PercentileNanoseconds(p);
        return new Overhead(
            P(path, 50) - P(baseline, 50),
            P(path, 99) - P(baseline, 99),
            (double)P(path, 50) / P(baseline, 50),
            (double)P(path, 99) / P(baseline, 99),
            path.Throughput / baseline.Throughput);
    }
}
