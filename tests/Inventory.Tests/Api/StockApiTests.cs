using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapr.Testing;
using Inventory.Tests.Infrastructure;

namespace Inventory.Tests.Api;

[Collection(SharedServers.Collection)]
public sealed class StockApiTests(InventoryApp app)
{
    [Fact]
    public async Task stock_that_was_set_is_read_back_with_what_is_reserved_and_available()
    {
        var sku = InventoryApp.NewSku();

        using var put = await app.Api.PutAsJsonAsync($"stock/{sku}", new { onHand = 7 });
        (await app.ReserveAsync(InventoryApp.NewOrderId(), (sku, 3))).Dispose();
        using var restock = await app.Api.PutAsJsonAsync($"stock/{sku}", new { onHand = 12 });

        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal(7, (await put.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("onHand").GetInt32());
        Assert.Equal(HttpStatusCode.OK, restock.StatusCode);
        var stock = await app.Api.GetFromJsonAsync<JsonElement>($"stock/{sku}");
        Assert.Equal(sku, stock.GetProperty("sku").GetString());
        Assert.Equal((12, 3, 9), (stock.GetProperty("onHand").GetInt32(), stock.GetProperty("reserved").GetInt32(), stock.GetProperty("available").GetInt32()));
    }

    [Fact]
    public async Task an_unknown_sku_is_not_found() =>
        Assert.Equal(HttpStatusCode.NotFound, (await app.Api.GetAsync($"stock/{InventoryApp.NewSku()}")).StatusCode);

    [Fact]
    public async Task on_hand_cannot_be_set_below_what_is_reserved()
    {
        var sku = InventoryApp.NewSku();
        await app.SetStockAsync(sku, 5);
        (await app.ReserveAsync(InventoryApp.NewOrderId(), (sku, 4))).Dispose();

        using var response = await app.Api.PutAsJsonAsync($"stock/{sku}", new { onHand = 3 });

        Assert.Equal((HttpStatusCode)422, response.StatusCode);
        var problem = await InventoryApp.ProblemAsync(response);
        Assert.Equal("below-reserved", problem.GetProperty("code").GetString());
        Assert.Equal(4, problem.GetProperty("reserved").GetInt32());
        Assert.Equal((5, 4), await app.StoredStockAsync(sku));

        using var exactly = await app.Api.PutAsJsonAsync($"stock/{sku}", new { onHand = 4 });
        Assert.Equal(HttpStatusCode.OK, exactly.StatusCode);
        Assert.Equal(0, (await exactly.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("available").GetInt32());
    }

    [Theory]
    [InlineData("{sku}", """{ "onHand": -1 }""", "OnHand")]
    [InlineData("{sku}", """{ "onHand": 1000000001 }""", "OnHand")]
    [InlineData("{sku}", """{ }""", "OnHand")]
    [InlineData("-{sku}", """{ "onHand": 1 }""", "sku")]
    [InlineData("{sku}{sku}{sku}{sku}{sku}", """{ "onHand": 1 }""", "sku")]
    public async Task bad_input_is_a_400_naming_the_field_and_writes_nothing(string skuTemplate, string body, string field)
    {
        var sku = skuTemplate.Replace("{sku}", InventoryApp.NewSku(), StringComparison.Ordinal);

        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        using var response = await app.Api.PutAsync($"stock/{sku}", content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal([field], (await InventoryApp.ProblemAsync(response)).GetProperty("errors").EnumerateObject().Select(e => e.Name));
        Assert.Equal(0, await app.CountAsync("SELECT count(*) FROM stock WHERE sku = $1", sku));
    }

    [Fact]
    public async Task the_openapi_document_describes_stock_and_reservations()
    {
        var paths = (await app.Api.GetFromJsonAsync<JsonElement>("openapi/v1.json")).GetProperty("paths");

        Assert.True(paths.TryGetProperty("/stock/{sku}", out _));
        Assert.True(paths.TryGetProperty("/reservations/{orderId}", out _));
    }
}
