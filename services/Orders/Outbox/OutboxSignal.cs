using System.Threading.Channels;

namespace Orders.Outbox;

/// <summary>
/// Wakes the relay of this instance right after a transaction that wrote to the outbox committed, so a checkout starts
/// its saga within milliseconds instead of at the next poll. Signals coalesce: however many commits happen while the
/// relay is busy, it wakes once more and then reads everything that is due.
/// </summary>
public sealed class OutboxSignal
{
    private readonly Channel<bool> _channel = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });

    public void Notify() => _channel.Writer.TryWrite(true);

    /// <summary>Returns when notified or when <paramref name="timeout"/> has passed, whichever comes first.</summary>
    public async Task WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken ct)
    {
        if (_channel.Reader.TryRead(out _))
        {
            return;
        }

        using var timer = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timer.CancelAfter(timeout);
        try
        {
            await _channel.Reader.WaitToReadAsync(timer.Token);
            _channel.Reader.TryRead(out _);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // The timeout passed without a signal: time for a poll.
        }
    }
}
