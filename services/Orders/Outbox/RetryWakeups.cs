namespace Orders.Outbox;

/// <summary>
/// The times at which this relay knows an unsent row falls due again: every retry it scheduled, and the earliest one the
/// last backlog count found. The relay sleeps until the earliest of them instead of until the next poll.
/// </summary>
/// <remarks>
/// <para>
/// It keeps every time, not only the earliest. Keeping one "earliest retry" lost the later ones: a batch that took
/// the row due first forgot that another row was due 0.8 s later, and with a long poll interval that row waited for
/// the poll (a minute in the tests) instead of 0.8 s.
/// </para>
/// <para>
/// A time is dropped only once a batch started at or after it. The outbox's <c>next_attempt_at</c> is the database's
/// transaction time plus the delay, and the time here is the relay's clock after the delivery failed plus the same
/// delay, so a row due here is due in the database too and that batch takes it. A timer that fires a millisecond early
/// leaves the time in place: one more wake-up, never a missed one. A time whose row was sent meanwhile (by another
/// instance) costs one empty batch.
/// </para>
/// </remarks>
public sealed class RetryWakeups
{
    private readonly PriorityQueue<DateTimeOffset, DateTimeOffset> _times = new();

    public int Count => _times.Count;

    public void Add(DateTimeOffset dueAt) => _times.Enqueue(dueAt, dueAt);

    /// <summary>Forgets the times a batch starting at <paramref name="batchStart"/> covers (those at or before it).</summary>
    public void RemoveCoveredBy(DateTimeOffset batchStart)
    {
        while (_times.TryPeek(out var dueAt, out _) && dueAt <= batchStart)
        {
            _times.Dequeue();
        }
    }

    /// <returns>How long from <paramref name="now"/> until the earliest time (negative when it has passed), or null when there is none.</returns>
    public TimeSpan? NextFrom(DateTimeOffset now) => _times.TryPeek(out var dueAt, out _) ? dueAt - now : null;
}
