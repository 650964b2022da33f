using System.Diagnostics;
using Benchmarks.Measurement;

namespace Benchmarks.Saga;

/// <summary>One arrival: which order it checks out and when it was due, on the wall clock the services also stamp.</summary>
public sealed record Arrival(int Index, string OrderId, DateTimeOffset DueAt);

/// <summary>What the checkout call answered: a status code, or the transport error in its place.</summary>
public sealed record CheckoutAnswer(int? StatusCode, string? Error)
{
    public bool Accepted => StatusCode is >= 200 and < 300;
}

/// <summary>Everything one step sent: the arrivals, their answers, how late the sends left and how long checkout took to answer.</summary>
public sealed record SentArrivals(
    IReadOnlyList<Arrival> Arrivals, IReadOnlyList<CheckoutAnswer> Answers, LatencyHistogram SendLag, LatencyHistogram AnswerLatency);

/// <summary>
/// Sends each arrival at its due time and does not wait for it to be answered before sending the next. The due time,
/// not the moment the request actually left, is what a latency is measured from, so a client that falls behind (a
/// busy machine, a starved thread pool) cannot hide the delay; how far behind it fell is reported as the send lag.
/// </summary>
public static class OpenLoopDriver
{
    public static async Task<SentArrivals> RunAsync(
        ArrivalSchedule schedule,
        Func<int, string> orderIdOf,
        Func<Arrival, CancellationToken, Task<CheckoutAnswer>> send,
        CancellationToken cancellationToken)
    {
        var arrivals = new Arrival[schedule.Count];
        var calls = new Task<(CheckoutAnswer Answer, long Ticks)>[schedule.Count];
        var sendLag = new LatencyHistogram();

        // One reading of both clocks: due times are kept on the monotonic clock and converted to the wall clock the
        // services' timestamps use; over a step of seconds the two do not drift apart measurably.
        var startTicks = Stopwatch.GetTimestamp();
        var startWall = DateTimeOffset.UtcNow;
        for (var k = 0; k < schedule.Count; k++)
        {
            var due = startTicks + schedule.OffsetTicks(k);
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
            if (wait > TimeSpan.FromMilliseconds(1))
            {
                await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
            }

            sendLag.RecordTicks(Math.Max(0, Stopwatch.GetTimestamp() - due));
            arrivals[k] = new Arrival(k, orderIdOf(k), startWall + schedule.Offset(k));
            calls[k] = TimedAsync(send, arrivals[k], due, cancellationToken);
        }

        await Task.WhenAll(calls).ConfigureAwait(false);
        var answerLatency = new LatencyHistogram();
        foreach (var call in calls)
        {
            // A send leaves up to 1 ms before its due time (a shorter wait is not worth a timer), so an answer that
            // came back at once, such as a refused connection, can end before it was due: that counts as 0.
            answerLatency.RecordTicks(Math.Max(0, call.Result.Ticks));
        }

        return new SentArrivals(arrivals, calls.Select(c => c.Result.Answer).ToList(), sendLag, answerLatency);
    }

    private static async Task<(CheckoutAnswer, long)> TimedAsync(
        Func<Arrival, CancellationToken, Task<CheckoutAnswer>> send, Arrival arrival, long due, CancellationToken ct)
    {
        // Yield first, so the loop that schedules arrivals never runs the start of a request (serialisation, connect).
        await Task.Yield();
        var answer = await send(arrival, ct).ConfigureAwait(false);
        return (answer, Stopwatch.GetTimestamp() - due);
    }
}
