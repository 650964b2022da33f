using System.Collections.Concurrent;
using Benchmarks.Measurement;

namespace Benchmarks.Services.Cdc;

/// <summary>
/// The commit-to-arrival latencies of updates committed open loop: the writer goes on to its next slot as soon as its
/// UPDATE has committed, and each update's event is awaited here in the background. A slow pipeline then shows as
/// growing latency at the offered rate, never as a lower commit rate (which waiting in the writer would give).
/// </summary>
public sealed class CdcLatencies(CdcArrivals arrivals, TimeSpan deliveryTimeout)
{
    private readonly ConcurrentQueue<Task> _pending = new();
    private readonly Lock _gate = new();

    /// <summary>Arrival − the commit time in the event (<c>committedAt</c>, from the WAL).</summary>
    public LatencyHistogram FromWalCommit { get; } = new();

    /// <summary>Arrival − the moment the writer's autocommit UPDATE returned (this process's Stopwatch).</summary>
    public LatencyHistogram FromClientCommit { get; } = new();

    /// <summary>Events that arrived before their writer had seen its UPDATE return (recorded as 0 on the client clock).</summary>
    public long BeforeWriterResumed { get; private set; }

    /// <summary>Awaits the event of update <paramref name="seq"/>, committed at <paramref name="committedTimestamp"/>.</summary>
    /// <param name="record">False during warm-up: the event is still awaited, so its backlog is drained before measuring.</param>
    public void Track(long seq, Task<CdcArrival> arrived, long committedTimestamp, bool record)
        => _pending.Enqueue(AwaitAsync(seq, arrived, committedTimestamp, record));

    /// <summary>Waits for every tracked event; fails if one did not arrive within the delivery timeout.</summary>
    public async Task DrainAsync()
    {
        var all = new List<Task>();
        while (_pending.TryDequeue(out var task))
        {
            all.Add(task);
        }

        await Task.WhenAll(all).ConfigureAwait(false);
    }

    private async Task AwaitAsync(long seq, Task<CdcArrival> arrived, long committedTimestamp, bool record)
    {
        CdcArrival arrival;
        try
        {
            arrival = await arrived.WaitAsync(deliveryTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"the event of update {seq} did not reach the subscriber within {deliveryTimeout.TotalSeconds} s", e);
        }
        finally
        {
            arrivals.Forget(seq);
        }

        if (!record)
        {
            return;
        }

        var sinceWalCommit = arrival.ArrivalUtc - arrival.CommittedAtUtc;
        if (sinceWalCommit < TimeSpan.Zero)
        {
            throw new InvalidOperationException($"update {seq} arrived at {arrival.ArrivalUtc:O}, before its commit time {arrival.CommittedAtUtc:O}: the clocks disagree");
        }

        // The event can reach the subscriber before the writer's continuation runs after its UPDATE returned (the
        // server has committed and answered; the writer's thread just has not been scheduled yet, common on a busy
        // machine). That arrival counts as 0 on the client clock, and how often it happened is reported.
        var sinceClientCommit = arrival.ArrivalTimestamp - committedTimestamp;
        lock (_gate)
        {
            FromWalCommit.Record((long)(sinceWalCommit.TotalMicroseconds * 1000));
            FromClientCommit.RecordTicks(Math.Max(0, sinceClientCommit));
            if (sinceClientCommit < 0)
            {
                BeforeWriterResumed++;
            }
        }
    }
}
