namespace Customers.ChangeCapture;

/// <summary>
/// Exponential back-off between attempts of the relay: short at first, so a blip (a sidecar restart) costs little
/// latency, capped so an outage is probed every few seconds, and back to the start once an attempt made progress.
/// </summary>
public sealed class RetryDelay
{
    private readonly TimeSpan _first;
    private readonly TimeSpan _max;
    private TimeSpan _next;

    public RetryDelay(TimeSpan first, TimeSpan max)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(first, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, first);
        _first = _next = first;
        _max = max;
    }

    public static RetryDelay Default() => new(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5));

    public TimeSpan Next()
    {
        var delay = _next;
        _next = TimeSpan.FromTicks(Math.Min(_max.Ticks, _next.Ticks * 2));
        return delay;
    }

    public void Reset() => _next = _first;
}
