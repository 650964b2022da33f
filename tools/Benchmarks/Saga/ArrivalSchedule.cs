using System.Diagnostics;

namespace Benchmarks.Saga;

/// <summary>
/// Open-loop arrivals: arrival k is due at k / rate after the start, for every k whose time falls inside the duration,
/// whatever happened to the earlier ones. The load a slow system gets is the load it was offered, so its slowness
/// shows as latency instead of quietly lowering the rate (coordinated omission).
/// </summary>
public sealed class ArrivalSchedule
{
    public ArrivalSchedule(double rate, TimeSpan duration)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rate);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(duration.Ticks);
        Rate = rate;
        Duration = duration;
        // The arrivals at 0, 1/rate, … strictly before the end; the epsilon keeps 25/s × 20 s at 500 despite rounding.
        Count = (int)Math.Ceiling((rate * duration.TotalSeconds) - 1e-9);
    }

    public double Rate { get; }

    public TimeSpan Duration { get; }

    public int Count { get; }

    /// <summary>When arrival <paramref name="index"/> is due, after the start.</summary>
    public TimeSpan Offset(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return TimeSpan.FromSeconds(index / Rate);
    }

    /// <summary>The same in <see cref="Stopwatch"/> ticks, computed from the index so that errors do not add up.</summary>
    public long OffsetTicks(int index) => (long)(Offset(index).TotalSeconds * Stopwatch.Frequency);
}
