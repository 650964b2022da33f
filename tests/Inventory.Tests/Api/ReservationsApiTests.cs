using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapr.Testing;
using Inventory.Tests.Infrastructure;

namespace Inventory.Tests.Api;

[Collection(SharedServers.Collection)]
public sealed class ReservationsApiTests(InventoryApp app)
{
    private static string NewSku(string prefix = "SKU") => InventoryApp.NewSku(prefix);

    private static string NewOrderId() => InventoryApp.NewOrderId();

    private static (string Sku, int Quantity)[] LinesOf(JsonElement reservation) =>
        reservation.GetProperty("lines").EnumerateArray().Select(l => (l.GetProperty("sku").GetString()!, l.GetProperty("quantity").GetInt32())).ToArray();

    private async Task<JsonElement> StockAsync(string sku) => await app.Api.GetFromJsonAsync<JsonElement>($"stock/{sku}");

    [Fact]
    public async Task a_reservation_holds_its_units_until_it_is_released()
    {
        var sku = NewSku();
        var orderId = NewOrderId();
        await app.SetStockAsync(sku, 5);

        using var reserved = await app.ReserveAsync(orderId, (sku, 2));

        Assert.Equal(HttpStatusCode.OK, reserved.StatusCode);
        var reservation = await reserved.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(orderId, reservation.GetProperty("orderId").GetString());
        Assert.Equal("Reserved", reservation.GetProperty("status").GetString());
        Assert.Equal([(sku, 2)], LinesOf(reservation));
        var stock = await StockAsync(sku);
        Assert.Equal((5, 2, 3), (stock.GetProperty("onHand").GetInt32(), stock.GetProperty("reserved").GetInt32(), stock.GetProperty("available").GetInt32()));
        Assert.Equal(reservation.ToString(), (await app.Api.GetFromJsonAsync<JsonElement>($"reservations/{orderId}")).ToString());

        using var released = await app.Api.DeleteAsync($"reservations/{orderId}");

        Assert.Equal(HttpStatusCode.OK, released.StatusCode);
        var afterRelease = await released.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Released", afterRelease.GetProperty("status").GetString());
        Assert.Equal([(sku, 2)], LinesOf(afterRelease));
        Assert.Equal((5, 0), await app.StoredStockAsync(sku));
        Assert.Equal("Released", (await app.Api.GetFromJsonAsync<JsonElement>($"reservations/{orderId}")).GetProperty("status").GetString());
    }

    [Fact]
    public async Task a_repeated_reserve_answers_as_the_first_and_reserves_once_even_after_the_stock_has_gone()
    {
        var sku = NewSku();
        var orderId = NewOrderId();
        await app.SetStockAsync(sku, 3);
        using var first = await app.ReserveAsync(orderId, (sku, 2));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        // Another order takes the last unit: a second reservation of 2 could not be made any more.
        using var other = await app.ReserveAsync(NewOrderId(), (sku, 1));
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);

        using var repeat = await app.ReserveAsync(orderId, (sku, 2));

        Assert.Equal(HttpStatusCode.OK, repeat.StatusCode);
        Assert.Equal((await first.Content.ReadFromJsonAsync<JsonElement>()).ToString(), (await repeat.Content.ReadFromJsonAsync<JsonElement>()).ToString());
        Assert.Equal((3, 3), await app.StoredStockAsync(sku));
    }

    [Fact]
    public async Task a_release_of_what_was_never_reserved_leaves_a_tombstone_that_refuses_the_late_reserve()
    {
        var sku = NewSku();
        var orderId = NewOrderId();
        await app.SetStockAsync(sku, 5);

        using var released = await app.Api.DeleteAsync($"reservations/{orderId}");

        Assert.Equal(HttpStatusCode.OK, released.StatusCode);
        var tombstone = await released.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Released", tombstone.GetProperty("status").GetString());
        Assert.Empty(LinesOf(tombstone));

        using var late = await app.ReserveAsync(orderId, (sku, 1));

        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
        Assert.Equal("reservation-released", (await InventoryApp.ProblemAsync(late)).GetProperty("code").GetString());
        Assert.Equal((5, 0), await app.StoredStockAsync(sku));
        Assert.Equal(0, await app.CountAsync("SELECT count(*) FROM reservation_lines WHERE order_id = $1", orderId));
    }

    [Fact]
    public async Task a_second_release_gives_nothing_back_twice_and_a_reserve_after_the_release_is_refused()
    {
        var sku = NewSku();
        var orderId = NewOrderId();
        var bystander = NewOrderId();
        await app.SetStockAsync(sku, 5);
        (await app.ReserveAsync(orderId, (sku, 2))).Dispose();
        (await app.ReserveAsync(bystander, (sku, 1))).Dispose();

        using var first = await app.Api.DeleteAsync($"reservations/{orderId}");
        using var second = await app.Api.DeleteAsync($"reservations/{orderId}");
        using var late = await app.ReserveAsync(orderId, (sku, 2));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal((await first.Content.ReadFromJsonAsync<JsonElement>()).ToString(), (await second.Content.ReadFromJsonAsync<JsonElement>()).ToString());
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
        // Only the bystander's unit is still reserved.
        Assert.Equal((5, 1), await app.StoredStockAsync(sku));
    }

    [Fact]
    public async Task when_one_sku_of_several_is_short_nothing_is_reserved_and_the_short_ones_are_named()
    {
        var plenty = NewSku("A");
        var scarce = NewSku("B");
        var unknown = NewSku("C");
        var orderId = NewOrderId();
        await app.SetStockAsync(plenty, 10);
        await app.SetStockAsync(scarce, 1);

        using var response = await app.ReserveAsync(orderId, (plenty, 2), (scarce, 2), (unknown, 1));

        Assert.Equal((HttpStatusCode)422, response.StatusCode);
        var problem = await InventoryApp.ProblemAsync(response);
        Assert.Equal("out-of-stock", problem.GetProperty("code").GetString());
        Assert.Equal([scarce, unknown], problem.GetProperty("skus").EnumerateArray().Select(s => s.GetString()).Order(StringComparer.Ordinal));
        Assert.Equal((10, 0), await app.StoredStockAsync(plenty));
        Assert.Equal((1, 0), await app.StoredStockAsync(scarce));
        Assert.Null(await app.StoredStockAsync(unknown));
        Assert.Equal(HttpStatusCode.NotFound, (await app.Api.GetAsync($"reservations/{orderId}")).StatusCode);

        // Refused is not final: once restocked the same order reserves.
        await app.SetStockAsync(scarce, 5);
        await app.SetStockAsync(unknown, 1);
        using var retry = await app.ReserveAsync(orderId, (plenty, 2), (scarce, 2), (unknown, 1));
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
    }

    [Fact]
    public async Task the_same_sku_twice_in_one_request_is_reserved_once_for_the_sum()
    {
        var sku = NewSku();
        var other = NewSku();
        var orderId = NewOrderId();
        await app.SetStockAsync(sku, 5);
        await app.SetStockAsync(other, 5);

        using var response = await app.ReserveAsync(orderId, (sku, 2), (other, 1), (sku, 3));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var expected = new[] { (sku, 5), (other, 1) }.OrderBy(l => l.Item1, StringComparer.Ordinal).ToArray();
        Assert.Equal(expected, LinesOf(await response.Content.ReadFromJsonAsync<JsonElement>()));
        Assert.Equal((5, 5), await app.StoredStockAsync(sku));
    }

    [Fact]
    public async Task an_unknown_reservation_is_not_found() =>
        Assert.Equal(HttpStatusCode.NotFound, (await app.Api.GetAsync($"reservations/{NewOrderId()}")).StatusCode);

    public static TheoryData<string, string, string> BadReservations => new()
    {
        // orderId placeholder, body (with {sku}), the field the 400 must name
        { "{order}", """{ "lines": [{ "sku": "{sku}", "quantity": 0 }] }""", "Lines[0].Quantity" },
        { "{order}", """{ "lines": [{ "sku": "{sku}", "quantity": -3 }] }""", "Lines[0].Quantity" },
        { "{order}", """{ "lines": [{ "sku": "{sku}", "quantity": 1 }, { "sku": "not a sku", "quantity": 1 }] }""", "Lines[1].Sku" },
        { "{order}", """{ "lines": [{ "quantity": 1 }] }""", "Lines[0].Sku" },
        { "{order}", """{ "lines": [] }""", "Lines" },
        { "{order}", """{ }""", "Lines" },
        { "{order}", """{ "lines": [null] }""", "Lines" },
        { "{order}", "{too many}", "Lines" },
        { "-starts-with-a-dash", """{ "lines": [{ "sku": "{sku}", "quantity": 1 }] }""", "orderId" },
    };

    [Theory]
    [MemberData(nameof(BadReservations))]
    public async Task bad_input_is_a_400_naming_the_field_and_reserves_nothing(string orderId, string body, string field)
    {
        var sku = NewSku();
        await app.SetStockAsync(sku, 200);
        orderId = orderId.Replace("{order}", NewOrderId(), StringComparison.Ordinal);
        if (body == "{too many}")
        {
            body = JsonSerializer.Serialize(new { lines = Enumerable.Range(0, 101).Select(_ => new { sku, quantity = 1 }) });
        }

        using var content = new StringContent(body.Replace("{sku}", sku, StringComparison.Ordinal), System.Text.Encoding.UTF8, "application/json");
        using var response = await app.Api.PostAsync($"reservations/{orderId}", content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await InventoryApp.ProblemAsync(response)).GetProperty("errors");
        Assert.Equal([field], errors.EnumerateObject().Select(e => e.Name));
        Assert.Equal((200, 0), await app.StoredStockAsync(sku));
        Assert.Equal(0, await app.CountAsync("SELECT count(*) FROM reservations WHERE order_id = $1", orderId));
    }
}
