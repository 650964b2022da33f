using Benchmarks.Measurement;

namespace Benchmarks.Tests;

public class QuiescenceTests
{
    private static readonly TimeSpan TwoSeconds = TimeSpan.FromSeconds(2);

    [Fact]
    public void processes_polling_an_empty_outbox_count_as_quiet()
    {
        var used = new Dictionary<string, TimeSpan>
        {
            ["app orders"] = TimeSpan.FromMilliseconds(60),        // 0.03 cores
            ["postgres (all backends)"] = TimeSpan.FromMilliseconds(20),
        };

        Assert.Empty(Quiescence.Busy(used, TwoSeconds));
    }

    [Fact]
    public void a_process_still_relaying_the_warm_ups_events_is_named_as_busy()
    {
        var used = new Dictionary<string, TimeSpan>
        {
            ["app payments"] = TimeSpan.FromMilliseconds(300),      // 0.15 cores
            ["app orders"] = TimeSpan.FromMilliseconds(40),
            ["app order-workflow"] = TimeSpan.FromMilliseconds(101), // just above 0.05 cores
        };

        Assert.Equal(["app order-workflow", "app payments"], Quiescence.Busy(used, TwoSeconds));
    }

    [Fact]
    public async Task the_wait_ends_after_two_quiet_windows_when_nothing_runs()
    {
        var idle = new CpuSource("idle", () => TimeSpan.Zero);

        var quiet = await new Quiescence([idle]).WaitAsync(CancellationToken.None);

        Assert.True(quiet.Settled);
        Assert.Empty(quiet.StillBusy);
        Assert.InRange(quiet.Waited, 2 * Quiescence.Window, Quiescence.Limit);
    }
}
