using System.Diagnostics;
using System.Net.Http.Json;
using Cart.Apis;
using Cart.Tests.Infrastructure;
using static Cart.Tests.Infrastructure.CartCalls;

namespace Cart.Tests.Service;

/// <summary>Carts live <see cref="ShortLivedCartApp.TimeToLive"/> seconds after the customer's last change.</summary>
[Collection(CartAppsCollection.Name)]
public abstract class CartExpiryTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : ShortLivedCartApp
{
    private static readonly TimeSpan TimeToLive = TimeSpan.FromSeconds(ShortLivedCartApp.TimeToLive);

    [Fact]
    public async Task an_abandoned_cart_expires()
    {
        var customer = NewCustomer();
        var clock = Stopwatch.StartNew();
        await app.AddOkAsync(customer, Item(NewProduct()));

        var goneAfter = await WaitUntilGoneAsync(customer);

        Assert.True(goneAfter >= TimeToLive - TimeSpan.FromSeconds(1), $"gone after {goneAfter}");
        Assert.Null(await app.ReadStateAsync($"cart:{customer}"));
        Assert.True(clock.Elapsed < TimeToLive + TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task each_change_starts_the_time_to_live_again()
    {
        var customer = NewCustomer();
        var book = NewProduct();
        await app.AddOkAsync(customer, Item(book));
        var sinceCreated = Stopwatch.StartNew(); // started after the write, so never more than the cart's age

        await Task.Delay(TimeToLive / 2);
        var sinceChanged = Stopwatch.StartNew(); // started before the write, so never less than the time since it
        await OkAsync(await app.Cart.PutAsJsonAsync($"carts/{customer}/items/{book}", new ChangeQuantityRequest(3), Json));

        // Past the first expiry, well before the second.
        var pastFirstExpiry = TimeToLive + TimeSpan.FromMilliseconds(500) - sinceCreated.Elapsed;
        await Task.Delay(pastFirstExpiry > TimeSpan.Zero ? pastFirstExpiry : TimeSpan.Zero);
        var read = await app.GetCartAsync(customer);
        Assert.True(sinceChanged.Elapsed < TimeToLive - TimeSpan.FromMilliseconds(300), $"too slow to tell the two expiries apart: {sinceChanged.Elapsed}");
        Assert.Equal(3, Assert.Single(read!.Lines).Quantity);

        await WaitUntilGoneAsync(customer);
        Assert.True(sinceChanged.Elapsed >= TimeToLive - TimeSpan.FromSeconds(1), $"gone {sinceChanged.Elapsed} after the change");
    }

    [Fact]
    public async Task a_reprice_does_not_keep_an_abandoned_cart_alive()
    {
        var customer = NewCustomer();
        var book = NewProduct();
        var sinceCreated = Stopwatch.StartNew(); // started before the write, so never less than the cart's age
        await app.AddOkAsync(customer, Item(book, unitPrice: 10m));

        // Halfway, not later: delivering and reading back take up to a second or two on a loaded machine, and the cart
        // must still be there to be repriced.
        await Task.Delay(TimeToLive / 2);
        await app.DeliverAsync(Guid.NewGuid().ToString(), Product(book, price: 12m, version: 2));
        var repriced = await app.GetCartAsync(customer);
        Assert.True(repriced is not null, $"the cart expired before the reprice could be read back ({sinceCreated.Elapsed} after it was created)");
        Assert.Equal(12m, Assert.Single(repriced.Lines).UnitPrice);

        // Had the reprice started the time to live again, the cart would live until at least 3/2 of it; ttlInSeconds is
        // whole seconds, so a reprice that keeps the expiry may round the remaining time up by at most one (TTL + 1 s).
        // The bound sits a second below the first and leaves the polling two seconds above the second.
        await WaitUntilGoneAsync(customer);
        var restarted = TimeToLive * 1.5;
        Assert.True(sinceCreated.Elapsed < restarted - TimeSpan.FromSeconds(1), $"gone {sinceCreated.Elapsed} after it was created");
    }

    private async Task<TimeSpan> WaitUntilGoneAsync(string customer)
    {
        var clock = Stopwatch.StartNew();
        while (await app.GetCartAsync(customer) is not null)
        {
            Assert.True(clock.Elapsed < TimeToLive + TimeSpan.FromSeconds(10), $"the cart of {customer} did not expire");
            await Task.Delay(100);
        }

        return clock.Elapsed;
    }
}

public sealed class CartExpiryOnRedis(ShortLivedCartOnRedis app) : CartExpiryTests<ShortLivedCartOnRedis>(app);

public sealed class CartExpiryOnPostgres(ShortLivedCartOnPostgres app) : CartExpiryTests<ShortLivedCartOnPostgres>(app);

public sealed class CartExpiryInMemory(ShortLivedCartInMemory app) : CartExpiryTests<ShortLivedCartInMemory>(app);
