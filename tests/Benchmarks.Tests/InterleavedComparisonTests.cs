using System.Collections.Concurrent;
using Benchmarks.Measurement;

namespace Benchmarks.Tests;

/// <summary>How paths are driven; no assertion here depends on how fast anything runs.</summary>
public class InterleavedComparisonTests
{
    [Fact]
    public async Task rounds_alternate_the_order_of_the_paths()
    {
        var log = new ConcurrentQueue<string>();
        var current = "";
        BenchmarkPath Path(string name, PathRole role) => BenchmarkPath.Timed(name, role, async (_, _) =>
        {
            if (current != name)
            {
                current = name;
                log.Enqueue(name);
            }

            await Task.Yield();
        });
        var scenario = new Scenario("s", "test", [Path("A", PathRole.Baseline), Path("B", PathRole.Measured), Path("C", PathRole.Measured)]);

        var result = await InterleavedComparison.MeasureAsync(scenario,
            new LoadSettings(Concurrency: 1, Duration: TimeSpan.FromMilliseconds(300), Warmup: TimeSpan.Zero, Round: TimeSpan.FromMilliseconds(100)),
            [], TextWriter.Null, CancellationToken.None);

        Assert.Equal(["A", "B", "C", "B", "A", "B", "C"], log);
        Assert.All(result.Paths, p => Assert.Equal(3, p.Rounds));
        Assert.All(result.Paths, p => Assert.True(p.Operations > 0));
        Assert.Equal("A", result.Baseline.Path.Name);
    }

    [Fact]
    public async Task a_failing_operation_ends_the_run_with_its_own_error()
    {
        var calls = 0;
        var path = BenchmarkPath.Timed("broken", PathRole.Baseline, async (worker, ct) =>
        {
            await Task.Delay(1, ct);
            if (Interlocked.Increment(ref calls) == 5)
            {
                throw new InvalidDataException("boom");
            }
        });

        var error = await Assert.ThrowsAsync<BenchmarkOperationException>(
            () => ClosedLoopRunner.RunAsync(path, concurrency: 4, TimeSpan.FromSeconds(30), [], CancellationToken.None));

        Assert.IsType<InvalidDataException>(error.InnerException);
    }

    [Fact]
    public void overhead_is_path_minus_baseline()
    {
        static PathResult Result(long latency, int count, double seconds)
        {
            var histogram = new LatencyHistogram();
            for (var i = 0; i < count; i++)
            {
                histogram.Record(latency);
            }

            return new PathResult(BenchmarkPath.Timed("x", PathRole.Measured, (_, _) => Task.CompletedTask), histogram, TimeSpan.FromSeconds(seconds), 1,
                new Dictionary<string, TimeSpan>());
        }

        var overhead = Overhead.Of(Result(200, 100, 1), Result(100, 400, 1));

        Assert.Equal(100, overhead.P50Nanoseconds);
        Assert.Equal(2.0, overhead.P50Ratio);
        Assert.Equal(0.25, overhead.ThroughputRatio);
    }
}

public class PacingTests
{
    [Fact]
    public void workers_share_the_rate_and_are_staggered_across_one_interval()
    {
        var frequency = System.Diagnostics.Stopwatch.Frequency;
        var first = Pacing.For(rate: 1000, concurrency: 4, worker: 0, start: 0);
        var third = Pacing.For(rate: 1000, concurrency: 4, worker: 2, start: 0);

        // 1000 ops/s over 4 workers: each one every 4 ms, the third starting half an interval later than the first.
        Assert.Equal(frequency * 4 / 1000, first.Interval);
        Assert.Equal(0, first.Next);
        Assert.Equal(frequency * 4 / 1000 / 2, third.Next);
    }

    [Fact]
    public async Task no_slot_is_handed_out_past_the_end()
    {
        var pacing = new Pacing(first: 100, interval: 50);

        Assert.True(await pacing.WaitForNextSlotAsync(end: 160, CancellationToken.None));
        Assert.True(await pacing.WaitForNextSlotAsync(end: 160, CancellationToken.None));
        Assert.False(await pacing.WaitForNextSlotAsync(end: 160, CancellationToken.None));
    }
}
