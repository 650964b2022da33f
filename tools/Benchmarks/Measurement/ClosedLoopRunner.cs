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
/// so the offered load adapts to the system (no coordinated-omission correction applies: nothing is scheduled ahead).
/// The first failure stops every worker and is rethrown.
/// </summary>
public static class ClosedLoopRunner
{
    public static async Task<RunResult> RunAsync(
        BenchmarkPath path, int concurrency, TimeSpan duration, IReadOnlyList<CpuSource> cpu, CancellationToken cancellationToken)
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
            workers[w] = Task.Run(() => WorkAsync(path, worker, end, stop), CancellationToken.None);
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

    private static async Task<LatencyHistogram> WorkAsync(BenchmarkPath path, int worker, long end, CancellationTokenSource stop)
    {
        var histogram = new LatencyHistogram();
        try
        {
            // At least one operation per worker, even when a busy thread pool starts the worker after the end.
            do
            {
                stop.Token.ThrowIfCancellationRequested();
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

/// <summary>An operation of a benchmark path failed; the run is over.</summary>
public sealed class BenchmarkOperationException(string message, Exception inner) : Exception(message, inner);
