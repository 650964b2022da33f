using Benchmarks.Measurement;

namespace Benchmarks.Tests;

public class LatencyHistogramTests
{
    [Fact]
    public void percentiles_match_the_sorted_values_within_the_bucket_precision()
    {
        var random = new Random(42);
        var values = Enumerable.Range(0, 100_000).Select(_ => (long)(Math.Exp(random.NextDouble() * 16) * 100)).ToArray();
        var histogram = new LatencyHistogram();
        foreach (var value in values)
        {
            histogram.Record(value);
        }

        Array.Sort(values);
        foreach (var p in new[] { 0.0, 1, 50, 90, 99, 99.9, 100 })
        {
            var exact = values[Math.Max(0, (int)Math.Ceiling(p / 100 * values.Length) - 1)];
            var reported = histogram.PercentileNanoseconds(p);
            Assert.InRange(reported, exact, exact + Math.Max(1, exact / 128));
        }

        Assert.Equal(values.Length, histogram.Count);
        Assert.Equal(values[0], histogram.MinNanoseconds);
        Assert.Equal(values[^1], histogram.MaxNanoseconds);
        Assert.Equal(values.Average(v => (double)v), histogram.MeanNanoseconds, 1e-6 * values.Average(v => (double)v));
    }

    [Fact]
    public void small_values_are_exact()
    {
        var histogram = new LatencyHistogram();
        foreach (var v in new long[] { 0, 1, 2, 3, 255 })
        {
            histogram.Record(v);
        }

        Assert.Equal(0, histogram.PercentileNanoseconds(0));
        Assert.Equal(2, histogram.PercentileNanoseconds(50));
        Assert.Equal(255, histogram.PercentileNanoseconds(100));
    }

    [Fact]
    public void buckets_are_contiguous_and_each_value_lies_in_its_own()
    {
        long previousHigh = -1;
        for (var index = 0; index < 3000; index++)
        {
            var high = LatencyHistogram.HighestValueIn(index);
            Assert.Equal(index, LatencyHistogram.IndexOf(previousHigh + 1));
            Assert.Equal(index, LatencyHistogram.IndexOf(high));
            previousHigh = high;
        }
    }

    [Fact]
    public void merging_adds_counts_and_keeps_extremes()
    {
        var a = new LatencyHistogram();
        var b = new LatencyHistogram();
        a.Record(1_000);
        a.Record(2_000);
        b.Record(50);
        b.Record(9_000_000);

        a.Add(b);

        Assert.Equal(4, a.Count);
        Assert.Equal(50, a.MinNanoseconds);
        Assert.Equal(9_000_000, a.MaxNanoseconds);
        Assert.Equal(9_000_000, a.PercentileNanoseconds(100));
    }

    [Fact]
    public void huge_values_are_kept_in_the_last_bucket_and_the_maximum_stays_exact()
    {
        var histogram = new LatencyHistogram();
        histogram.Record(long.MaxValue / 2);

        Assert.Equal(long.MaxValue / 2, histogram.PercentileNanoseconds(50));
    }

    [Fact]
    public void an_empty_histogram_has_no_percentiles()
        => Assert.Throws<InvalidOperationException>(() => new LatencyHistogram().PercentileNanoseconds(50));
}
