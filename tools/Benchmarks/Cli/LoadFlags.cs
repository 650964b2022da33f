using Benchmarks.Measurement;

namespace Benchmarks.Cli;

/// <summary>The flags every load-driving command reads the same way: how long, how many workers, how fast.</summary>
public static class LoadFlags
{
    public const string Usage = "[--duration 10s] [--concurrency N] [--warmup 3s] [--round 1s] [--rate 0 (ops/s per path; 0 = flat out)]";

    /// <param name="defaultRate">Operations per second when <c>--rate</c> is not given; 0 runs a closed loop flat out.</param>
    public static LoadSettings Read(CommandLine arguments, int defaultConcurrency, int defaultRate = 0)
        => new(
            Concurrency: arguments.Int("concurrency", defaultConcurrency, 1, 1024),
            Duration: arguments.Duration("duration", TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(100)),
            Warmup: arguments.Duration("warmup", TimeSpan.FromSeconds(3), TimeSpan.Zero),
            Round: arguments.Duration("round", TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(100)),
            Rate: arguments.Int("rate", defaultRate, 0, 1_000_000) is var rate and > 0 ? rate : null);

    /// <summary>"closed loop, 16 workers flat out" or "fixed rate 500 ops/s per path over 16 workers", for report headers.</summary>
    public static string Describe(LoadSettings load)
        => load.Rate is { } rate
            ? $"fixed rate {rate.ToString("0", System.Globalization.CultureInfo.InvariantCulture)} ops/s per path over {load.Concurrency} workers"
            : $"closed loop, {load.Concurrency} worker{(load.Concurrency == 1 ? "" : "s")} flat out";
}
