using Benchmarks.Saga;

namespace Benchmarks.Tests;

public class ArrivalScheduleTests
{
    [Theory]
    [InlineData(25, 20, 500)]
    [InlineData(150, 20, 3000)]
    [InlineData(3, 1.5, 5)] // 0, 1/3, 2/3, 1, 4/3: every arrival strictly before the end
    [InlineData(0.5, 3, 2)] // 0 and 2 s
    public void one_arrival_per_interval_strictly_inside_the_duration(double rate, double seconds, int count)
        => Assert.Equal(count, new ArrivalSchedule(rate, TimeSpan.FromSeconds(seconds)).Count);

    [Fact]
    public void arrivals_are_evenly_spaced_from_the_start_whatever_came_before()
    {
        var schedule = new ArrivalSchedule(50, TimeSpan.FromSeconds(2));

        Assert.Equal(TimeSpan.Zero, schedule.Offset(0));
        Assert.Equal(TimeSpan.FromMilliseconds(20), schedule.Offset(1));
        Assert.Equal(TimeSpan.FromMilliseconds(1980), schedule.Offset(99));
        // Computed from the index, not by adding intervals, so rounding does not accumulate over a long step.
        Assert.Equal(TimeSpan.FromSeconds(1000 / 3.0), new ArrivalSchedule(3, TimeSpan.FromHours(1)).Offset(1000));
    }

    [Fact]
    public void an_index_outside_the_schedule_is_a_bug()
    {
        var schedule = new ArrivalSchedule(10, TimeSpan.FromSeconds(1));

        Assert.Throws<ArgumentOutOfRangeException>(() => schedule.Offset(10));
        Assert.Throws<ArgumentOutOfRangeException>(() => schedule.Offset(-1));
    }

    [Fact]
    public void a_rate_or_duration_of_zero_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ArrivalSchedule(0, TimeSpan.FromSeconds(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ArrivalSchedule(1, TimeSpan.Zero));
    }
}
