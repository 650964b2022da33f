using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapr.Testing;
using Inventory.Tests.Infrastructure;

namespace Inventory.Tests.Api;

/// <summary>Races through the sidecar against the real database: what row locks must make impossible.</summary>
[Collection(SharedServers.Collection)]
public sealed class ConcurrencyTests(InventoryApp app)
{
    [Fact]
    public async Task when_100_orders_race_for_the_last_10_units_exactly_10_get_one()
    {
        var sku = InventoryApp.NewSku();
        await app.SetStockAsync(sku, 10);
        var orders = Enumerable.Range(0, 100).Select(_ => InventoryApp.NewOrderId()).ToList();

        // Samples the row while the race runs: the CHECK makes a negative or oversold row impossible to commit, and this
        // shows that no reader ever sees one either.
        using var stop = new CancellationTokenSource();
        var samples = SampleAsync(sku, stop.Token);
        var responses = await Task.WhenAll(orders.Select(async orderId =>
        {
            using var response = await app.ReserveAsync(orderId, (sku, 1));
            return response.StatusCode;
        }));
        await stop.CancelAsync();
        var seen = await samples;

        Assert.Equal(10, responses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(90, responses.Count(s => s == (HttpStatusCode)422));
        Assert.Equal((10, 10), await app.StoredStockAsync(sku));
        Assert.Equal(10, await app.CountAsync("SELECT count(*) FROM reservation_lines WHERE sku = $1", sku));
        Assert.All(seen, reserved => Assert.InRange(reserved, 0, 10));
    }

    [Fact]
    public async Task when_two_orders_cross_skus_in_opposite_order_neither_deadlocks()
    {
        var first = InventoryApp.NewSku("X");
        var second = InventoryApp.NewSku("Y");
        await app.SetStockAsync(first, 1000);
        await app.SetStockAsync(second, 1000);

        // Pairs of orders naming the two SKUs in opposite orders. Locking in request order would deadlock some pair;
        // PostgreSQL would then abort one transaction (40P01) and the API would answer 500.
        var responses = await Task.WhenAll(Enumerable.Range(0, 40).Select(async i =>
        {
            using var response = i % 2 == 0
                ? await app.ReserveAsync(InventoryApp.NewOrderId(), (first, 1), (second, 1))
                : await app.ReserveAsync(InventoryApp.NewOrderId(), (second, 1), (first, 1));
            return (response.StatusCode, Body: await response.Content.ReadAsStringAsync());
        }));

        Assert.All(responses, r => Assert.True(r.StatusCode == HttpStatusCode.OK, $"{(int)r.StatusCode} {r.Body}\n{app.Output}"));
        Assert.Equal((1000, 40), await app.StoredStockAsync(first));
        Assert.Equal((1000, 40), await app.StoredStockAsync(second));
    }

    [Fact]
    public async Task when_one_order_is_reserved_many_times_at_once_it_is_reserved_once()
    {
        var sku = InventoryApp.NewSku();
        var orderId = InventoryApp.NewOrderId();
        await app.SetStockAsync(sku, 10);

        var bodies = await Task.WhenAll(Enumerable.Range(0, 10).Select(async _ =>
        {
            using var response = await app.ReserveAsync(orderId, (sku, 3));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return (await response.Content.ReadFromJsonAsync<JsonElement>()).ToString();
        }));

        Assert.Single(bodies.Distinct());
        Assert.Equal((10, 3), await app.StoredStockAsync(sku));
    }

    [Fact]
    public async Task when_a_release_races_its_reserve_the_stock_ends_up_released_either_way()
    {
        var sku = InventoryApp.NewSku();
        await app.SetStockAsync(sku, 100);
        var orders = Enumerable.Range(0, 20).Select(_ => InventoryApp.NewOrderId()).ToList();

        // Whichever of the pair commits first, the order ends Released and holds nothing: a reserve that comes second
        // meets the tombstone (409), a release that comes second gives the units back.
        await Task.WhenAll(orders.SelectMany(orderId => new[]
        {
            Task.Run(async () => (await app.ReserveAsync(orderId, (sku, 2))).Dispose()),
            Task.Run(async () => (await app.Api.DeleteAsync($"reservations/{orderId}")).Dispose()),
        }));

        Assert.Equal((100, 0), await app.StoredStockAsync(sku));
        foreach (var orderId in orders)
        {
            Assert.Equal("Released", (await app.Api.GetFromJsonAsync<JsonElement>($"reservations/{orderId}")).GetProperty("status").GetString());
        }
    }

    private async Task<List<int>> SampleAsync(string sku, CancellationToken ct)
    {
        var seen = new List<int>();
        while (!ct.IsCancellationRequested)
        {
            if (await app.StoredStockAsync(sku) is { } stock)
            {
                seen.Add(stock.Reserved);
            }

            await Task.Delay(5, CancellationToken.None);
        }

        return seen;
    }
}
