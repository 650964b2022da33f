using System.Diagnostics;
using System.Numerics;

namespace Benchmarks.Measurement;

/// <summary>
/// Every recorded latency, in nanoseconds, kept in log-linear buckets as HdrHistogram does: exact below 256 ns, then
/// 128 linear sub-buckets per power of two, so a reported percentile is at most 1/128 (0.8 %) above the true value.
/// Values from 0 to 2^44 ns (about 4.9 hours) are kept; larger ones count in the last bucket. Not thread-safe: each
/// worker records into its own and the runner merges them.
/// </summary>
public sealed class LatencyHistogram
{
    private const int SubBucketBits = 7;
    private const int SubBucketHalf = 1 << SubBucketBits; // 128
    private const int LinearLimit = 2 * SubBucketHalf; // 256: below this every value has its own bucket
    private const int HighestBit = 43;
    private static readonly int BucketCount = LinearLimit + ((HighestBit - SubBucketBits) * SubBucketHalf);
    private static readonly double NanosecondsPerTick = 1_000_000_000.0 / Stopwatch.Frequency;

    private readonly long[] _counts = new long[BucketCount];
    private double _sum;

    public long Count { get; private set; }

    public long MinNanoseconds { get; private set; } = long.MaxValue;

    public long MaxNanoseconds { get; private set; }

    public double MeanNanoseconds => Count == 0 ? 0 : _sum / Count;

    public static long TicksToNanoseconds(long stopwatchTicks) => (long)(stopwatchTicks * NanosecondsPerTick);

    public void RecordTicks(long stopwatchTicks) => Record(TicksToNanoseconds(stopwatchTicks));

    public void Record(long nanoseconds)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(nanoseconds);
        _counts[IndexOf(nanoseconds)]++;
        Count++;
        _sum += nanoseconds;
        MinNanoseconds = Math.Min(MinNanoseconds, nanoseconds);
        MaxNanoseconds = Math.Max(MaxNanoseconds, nanoseconds);
    }

    public void Add(LatencyHistogram other)
    {
        for (var i = 0; i < _counts.Length; i++)
        {
            _counts[i] += other._counts[i];
        }

        Count += other.Count;
        _sum += other._sum;
        MinNanoseconds = Math.Min(MinNanoseconds, other.MinNanoseconds);
        MaxNanoseconds = Math.Max(MaxNanoseconds, other.MaxNanoseconds);
    }

    /// <summary>
    /// The smallest value v such that at least <paramref name="percentile"/> % of the recorded values are ≤ v, given as
    /// the highest value of v's bucket (never above the recorded maximum) — HdrHistogram's convention.
    /// </summary>
    public long PercentileNanoseconds(double percentile)
    {
        if (percentile is < 0 or > 100 || double.IsNaN(percentile))
        {
            throw new ArgumentOutOfRangeException(nameof(percentile), percentile, "must be from 0 to 100");
        }

        if (Count == 0)
        {
            throw new InvalidOperationException("the histogram is empty");
        }

        var rank = Math.Max(1, (long)Math.Ceiling(percentile / 100.0 * Count));
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                return Math.Clamp(HighestValueIn(i), MinNanoseconds, MaxNanoseconds);
            }
        }

        return MaxNanoseconds;
    }

    internal static int IndexOf(long value)
    {
        if (value < LinearLimit)
        {
            return (int)value;
        }

        var bit = 63 - BitOperations.LeadingZeroCount((ulong)value);
        if (bit > HighestBit)
        {
            return BucketCount - 1;
        }

        var shift = bit - SubBucketBits; // ≥ 1
        var sub = (int)(value >> shift) - SubBucketHalf; // 0..127
        return LinearLimit + ((shift - 1) * SubBucketHalf) + sub;
    }

    internal static long HighestValueIn(int index)
    {
        if (index < LinearLimit)
        {
            return index;
        }

        var shift = ((index - LinearLimit) / SubBucketHalf) + 1;
        var sub = ((index - LinearLimit) % SubBucketHalf) + SubBucketHalf;
        return ((long)(sub + 1) << shift) - 1;
    }
}
