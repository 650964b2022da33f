using Orders.Outbox;

namespace Orders.Tests.Domain;

public sealed class RetryWakeupsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 27, 9, 43, 58, TimeSpan.Zero);

    private static DateTimeOffset At(int milliseconds) => T0 + TimeSpan.FromMilliseconds(milliseconds);

    private static TimeSpan Ms(int milliseconds) => TimeSpan.FromMilliseconds(milliseconds);

    [Fact]
    public void with_nothing_scheduled_there_is_no_wakeup() =>
        Assert.Null(new RetryWakeups().NextFrom(T0));

    [Fact]
    public void the_relay_wakes_for_the_earliest_retry_first()
    {
        var wakeups = new RetryWakeups();
        wakeups.Add(At(1500));
        wakeups.Add(At(200));

        Assert.Equal(Ms(200), wakeups.NextFrom(T0));
    }

    [Fact]
    public void a_batch_that_takes_the_first_retry_keeps_the_later_one()
    {
        var wakeups = new RetryWakeups();
        wakeups.Add(At(200));
        wakeups.Add(At(1000));

        wakeups.RemoveCoveredBy(At(200));

        Assert.Equal(Ms(800), wakeups.NextFrom(At(200)));
    }

    /// <summary>
    /// What the tests hit once in a few runs under load: the timer woke the relay a millisecond before the retry, the
    /// batch took the row anyway (it was due in the database) and it failed again. The new retry must still wake the
    /// relay, not only the stale one.
    /// </summary>
    [Fact]
    public void a_timer_that_fires_early_costs_one_more_wakeup_and_loses_no_retry()
    {
        var wakeups = new RetryWakeups();
        wakeups.Add(At(400));

        wakeups.RemoveCoveredBy(At(399));
        wakeups.Add(At(410 + 800));

        Assert.Equal(Ms(-10), wakeups.NextFrom(At(410)));
        wakeups.RemoveCoveredBy(At(420));
        Assert.Equal(Ms(790), wakeups.NextFrom(At(420)));
        wakeups.RemoveCoveredBy(At(1210));
        Assert.Null(wakeups.NextFrom(At(1210)));
        Assert.Equal(0, wakeups.Count);
    }
}
