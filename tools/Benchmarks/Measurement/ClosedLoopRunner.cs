using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace Benchmarks.Measurement;

/// <summary>What one closed-loop run of one path produced, with the CPU time each watched process used meanwhile.</summary>
public sealed record RunResult(LatencyHistogram Histogram, TimeSpan Elapsed, IReadOnlyDictionary<string, TimeSpan> Cpu)
{
    public long Operations => Histogram.Count;
}

/// <summary>
/// A closed loop: <c>concurrency</c> workers each run the operation, wait for it, record its latency and start the next
/// one, until the duration is over. A new operation starts only after the previous one of the same worker finished,
/// so the offered load adapts to the system. With a <c>rate</c>, each worker is paced to rate/concurrency operations
/// per second (as fortio's <c>-qps</c> with <c>-c</c> connections, the tool behind Dapr's published figures): it waits
/// for its next slot, or starts at once when it is behind, and the latency recorded is still the call's own duration
/// (no coordinated-omission correction, as in fortio). The first failure stops every worker and is rethrown.
/// </summary>
public static class ClosedLoopRunner
{
    /// <param name="rate">Total operations per second over all workers; null runs flat out.</param>
    public static async Task<RunResult> RunAsync(
        BenchmarkPath path, int concurrency, TimeSpan duration, IReadOnlyList<CpuSource> cpu, CancellationToken cancellationToken,
        double? rate = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrency, 1);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var cpuBefore = CpuSnapshot.Take(cpu);
        var start = Stopwatch.GetTimestamp();
        var end = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var workers = new Task<LatencyHistogram>[concurrency];
        for (var w = 0; w < concurrency; w++)
        {
            var worker = w;
            var pacing = rate is { } r ? Pacing.For(r, concurrency, worker, start) : null;
            workers[w] = Task.Run(() => WorkAsync(path, worker, end, pacing, stop), CancellationToken.None);
        }

        try
        {
            await Task.WhenAll(workers).ConfigureAwait(false);
        }
        catch (Exception) when (FirstRealFailure(workers) is { } failure)
        {
            // Task.WhenAll rethrows the first faulted task in array order, which may be a worker that was merely
            // cancelled because another one failed; report the failure that stopped the run.
            ExceptionDispatchInfo.Throw(failure);
        }

        var elapsed = Stopwatch.GetElapsedTime(start);
        var cpuUsed = cpuBefore.Elapsed();
        var histogram = new LatencyHistogram();
        foreach (var worker in workers)
        {
            histogram.Add(worker.Result);
        }

        return new RunResult(histogram, elapsed, cpuUsed);
    }

    private static async Task<LatencyHistogram> WorkAsync(BenchmarkPath path, int worker, long end, Pacing? pacing, CancellationTokenSource stop)
    {
        var histogram = new LatencyHistogram();
        try
        {
            // At least one operation per worker, even when a busy thread pool starts the worker after the end.
            do
            {
                stop.Token.ThrowIfCancellationRequested();
                if (pacing is not null && !await pacing.WaitForNextSlotAsync(end, stop.Token).ConfigureAwait(false))
                {
                    break;
                }

                histogram.RecordTicks(await path.Operation(worker, stop.Token).ConfigureAwait(false));
            }
            while (Stopwatch.GetTimestamp() < end);
        }
        catch (Exception e) when (e is not OperationCanceledException || !stop.IsCancellationRequested)
        {
            await stop.CancelAsync().ConfigureAwait(false);
            throw new BenchmarkOperationException($"{path.Name}: worker {worker} failed: {e.Message}", e);
        }

        return histogram;
    }

    private static Exception? FirstRealFailure(Task[] workers)
        => workers
            .Where(t => t.IsFaulted)
            .SelectMany(t => t.Exception!.InnerExceptions)
            .FirstOrDefault(e => e is BenchmarkOperationException);
}

/// <summary>One worker's schedule under a fixed rate: slot k at start + offset + k × interval.</summary>
internal sealed class Pacing(long first, long interval)
{
    private long _next = first;

    public long Interval => interval;

    /// <summary>The next slot, in <see cref="Stopwatch"/> ticks.</summary>
    public long Next => _next;

    public static Pacing For(double rate, int concurrency, int worker, long start)
    {
        // Workers are staggered across one interval so the requests do not arrive in bursts of `concurrency`.
        var interval = (long)(Stopwatch.Frequency * concurrency / rate);
        return new Pacing(start + (interval * worker / concurrency), Math.Max(1, interval));
    }

    /// <returns>False when the next slot is past the end of the run.</returns>
    public async ValueTask<bool> WaitForNextSlotAsync(long end, CancellationToken ct)
    {
        var slot = _next;
        if (slot >= end)
        {
            return false;
        }

        _next += interval;
        var wait = slot - Stopwatch.GetTimestamp();
        if (wait > 0)
        {
            await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency), ct).ConfigureAwait(false);
        }

        return true;
    }
}

/// <summary>An operation of a benchmark path failed; the run is over.</summary>
public sealed class BenchmarkOperationException(string message, Exception inner) : Exception(message, inner);
