namespace Orders.Outbox;

/// <summary>
/// When a row that failed is tried again: doubling from <paramref name="first"/> up to <paramref name="max"/>. Short at
/// first so a blip (a sidecar restart) costs little latency; capped so that an app that is down for long is still
/// probed every few seconds and its rows leave soon after it is back. A row is never given up on.
/// </summary>
public static class RetrySchedule
{
    /// <param name="attempts">How many attempts have failed so far, at least 1.</param>
    public static TimeSpan DelayAfter(int attempts, TimeSpan first, TimeSpan max)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attempts, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(first, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, first);

        // Past 2^20 the doubling is far beyond any sensible cap; stopping there keeps the ticks from overflowing.
        var factor = 1L << Math.Min(attempts - 1, 20);
        return first.Ticks > max.Ticks / factor ? max : TimeSpan.FromTicks(first.Ticks * factor);
    }
}
