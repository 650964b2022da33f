using Customers.ChangeCapture;

namespace Customers.Tests.Domain;

public sealed class RetryDelayTests
{
    [Fact]
    public void the_delay_doubles_up_to_its_cap_and_starts_over_after_progress()
    {
        var delay = new RetryDelay(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(500));

        Assert.Equal([100, 200, 400, 500, 500], Enumerable.Range(0, 5).Select(_ => delay.Next().TotalMilliseconds));
        delay.Reset();
        Assert.Equal(100, delay.Next().TotalMilliseconds);
    }
}
