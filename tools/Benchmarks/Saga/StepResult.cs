using Benchmarks.Measurement;

namespace Benchmarks.Saga;

/// <summary>One rate step: what was sent, how each saga ended, and what it cost in commits and CPU.</summary>
public sealed record StepResult
{
    public required int Rate { get; init; }

    public required SentArrivals Sent { get; init; }

    /// <summary>Due time → Confirmed, for every confirmed order.</summary>
    public required LatencyHistogram ToConfirmed { get; init; }

    /// <summary>Relay took the saga start → Confirmed, per confirmed order: the saga without the outbox queue ahead of it.</summary>
    public required LatencyHistogram RelayToConfirmed { get; init; }

    /// <summary>Due time → each intermediate stamp, for the confirmed orders: order committed, saga start handed over, stock reserved.</summary>
    public required IReadOnlyList<(string Step, LatencyHistogram Latency)> Steps { get; init; }

    public required int Confirmed { get; init; }

    public required int Cancelled { get; init; }

    /// <summary>Pending orders whose compensation failed and that were flagged for attention (the workflow failed).</summary>
    public required int NeedsAttention { get; init; }

    /// <summary>Orders still Pending when the drain timeout ran out.</summary>
    public required int NotFinished { get; init; }

    /// <summary>Checkout calls that were not answered 2xx, by answer, with one example each.</summary>
    public required IReadOnlyList<(string Answer, int Count, string Example)> CheckoutFailures { get; init; }

    /// <summary>Ended sagas / (last end − first due time).</summary>
    public required double SagasPerSecond { get; init; }

    /// <summary>Commits in the service databases over the step, less our own reads and the idle background rate.</summary>
    public required long Commits { get; init; }

    public required TimeSpan CommitWindow { get; init; }

    /// <summary>From the first due time until every saga had ended (or the drain timed out): the CPU window.</summary>
    public required TimeSpan Wall { get; init; }

    public required IReadOnlyDictionary<string, TimeSpan> Cpu { get; init; }

    /// <summary>What PostgreSQL spent its time on over the step, when <c>--statements</c> asked for it.</summary>
    public StatementCosts? Statements { get; init; }

    public int Ended => Confirmed + Cancelled;

    public double CommitsPerSaga => Ended == 0 ? double.NaN : (double)Commits / Ended;

    /// <summary>
    /// The commit rate the sagas needed at the throughput they reached (commits per saga × sagas/s); the window's own
    /// average would be diluted by the drain and the wait for the counters.
    /// </summary>
    public double CommitsPerSecond => CommitsPerSaga * SagasPerSecond;
}
