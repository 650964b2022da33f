using System.Collections.Concurrent;

namespace Benchmarks.Platform;

/// <summary>
/// Matches arrivals to publishes by sequence number: a publisher registers a number before it publishes and awaits
/// the arrival timestamp (<see cref="System.Diagnostics.Stopwatch"/> ticks); the receiving side completes it.
/// </summary>
public sealed class DeliveryTracker
{
    private readonly ConcurrentDictionary<long, TaskCompletionSource<long>> _waiting = new();
    private long _unmatched;
    private Exception? _failure;

    /// <summary>Arrivals nobody waited for: duplicates (redeliveries) or events from before a restart.</summary>
    public long Unmatched => Interlocked.Read(ref _unmatched);

    public Task<long> Expect(long seq)
    {
        if (Volatile.Read(ref _failure) is { } failure)
        {
            throw new InvalidOperationException("the receiving side failed earlier", failure);
        }

        var arrival = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_waiting.TryAdd(seq, arrival))
        {
            throw new InvalidOperationException($"sequence number {seq} is already awaited");
        }

        return arrival.Task;
    }

    public void Forget(long seq) => _waiting.TryRemove(seq, out _);

    public void Arrived(long seq, long arrivalTimestamp)
    {
        if (_waiting.TryRemove(seq, out var arrival))
        {
            arrival.TrySetResult(arrivalTimestamp);
        }
        else
        {
            Interlocked.Increment(ref _unmatched);
        }
    }

    /// <summary>The receiving side broke: every publisher still waiting fails with this error.</summary>
    public void Fail(Exception error)
    {
        Volatile.Write(ref _failure, error);
        foreach (var seq in _waiting.Keys)
        {
            if (_waiting.TryRemove(seq, out var arrival))
            {
                arrival.TrySetException(error);
            }
        }
    }
}
