namespace LocalSidecar.Tests.Infrastructure;

/// <summary>Polls a condition that the system reaches asynchronously (a delivery, an expiry, a deleted marker).</summary>
public static class Eventually
{
    public static async Task TrueAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> failure)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"{failure()} (waited {timeout})");
            }

            await Task.Delay(100);
        }
    }
}
