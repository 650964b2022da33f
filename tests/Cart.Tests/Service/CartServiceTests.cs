using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Cart.Apis;
using Cart.Domain;
using Cart.Events;
using Cart.Tests.Infrastructure;
using static Cart.Tests.Infrastructure.CartCalls;

namespace Cart.Tests.Service;

/// <summary>
/// The cart through its sidecar, as other apps call it. Runs once per store kind; the store is chosen by the
/// component file alone.
/// </summary>
[Collection(CartAppsCollection.Name)]
public abstract class CartServiceTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : CartApp
{
    [Fact]
    public async Task an_added_item_is_in_the_cart_and_a_removed_one_is_gone()
    {
        var customer = NewCustomer();
        var (book, pen) = (NewProduct(), NewProduct());

        await app.AddOkAsync(customer, Item(book, quantity: 2, unitPrice: 12.5m));
        var added = await app.AddOkAsync(customer, Item(pen, quantity: 1, unitPrice: 3m));

        Assert.Equal([book, pen], added.Lines.Select(l => l.ProductId));
        Assert.Equal([new Money(28m, "EUR")], added.Totals);
        var read = await app.GetCartAsync(customer);
        Assert.Equal([(book, 2, 25m), (pen, 1, 3m)], read!.Lines.Select(l => (l.ProductId, l.Quantity, l.LineTotal)));

        var removed = await OkAsync(await app.Cart.DeleteAsync($"carts/{customer}/items/{book}"));

        Assert.Equal([pen], removed.Lines.Select(l => l.ProductId));
        Assert.Equal([pen], (await app.GetCartAsync(customer))!.Lines.Select(l => l.ProductId));
    }

    [Fact]
    public async Task a_customer_without_a_cart_gets_404()
    {
        Assert.Null(await app.GetCartAsync(NewCustomer()));
    }

    [Fact]
    public async Task adding_a_product_again_adds_to_its_quantity_and_put_sets_it()
    {
        var customer = NewCustomer();
        var book = NewProduct();

        await app.AddOkAsync(customer, Item(book, quantity: 2));
        var merged = await app.AddOkAsync(customer, Item(book, quantity: 3));
        Assert.Equal(5, Assert.Single(merged.Lines).Quantity);

        var set = await OkAsync(await app.Cart.PutAsJsonAsync($"carts/{customer}/items/{book}", new ChangeQuantityRequest(7), Json));
        Assert.Equal(7, Assert.Single(set.Lines).Quantity);
    }

    [Fact]
    public async Task changing_or_removing_a_product_the_cart_does_not_hold_is_404()
    {
        var customer = NewCustomer();
        await app.AddOkAsync(customer, Item(NewProduct()));

        var put = await app.Cart.PutAsJsonAsync($"carts/{customer}/items/{NewProduct()}", new ChangeQuantityRequest(2), Json);
        var delete = await app.Cart.DeleteAsync($"carts/{customer}/items/{NewProduct()}");

        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound), (put.StatusCode, delete.StatusCode));
    }

    public static TheoryData<string, string> BadItems => new()
    {
        { """{ "productId": "p1", "sku": "S", "name": "N", "unitPrice": 1, "currency": "EUR", "quantity": 0 }""", "Quantity" },
        { """{ "productId": "p1", "sku": "S", "name": "N", "unitPrice": 1, "currency": "EUR", "quantity": 1000 }""", "Quantity" },
        { """{ "productId": "p1", "sku": "S", "name": "N", "unitPrice": 1, "currency": "EUR" }""", "Quantity" },
        { """{ "productId": "p1", "sku": "S", "name": "N", "unitPrice": -0.01, "currency": "EUR", "quantity": 1 }""", "UnitPrice" },
        { """{ "productId": "p1", "sku": "S", "name": "N", "currency": "EUR", "quantity": 1 }""", "UnitPrice" },
        { """{ "productId": "p1", "sku": "S", "name": "N", "unitPrice": 1, "currency": "euro", "quantity": 1 }""", "Currency" },
        { """{ "productId": "p1", "sku": "S", "unitPrice": 1, "currency": "EUR", "quantity": 1 }""", "Name" },
        { """{ "productId": "p/1", "sku": "S", "name": "N", "unitPrice": 1, "currency": "EUR", "quantity": 1 }""", "ProductId" },
        { """{ "sku": "S", "name": "N", "unitPrice": 1, "currency": "EUR", "quantity": 1 }""", "ProductId" },
    };

    [Theory]
    [MemberData(nameof(BadItems))]
    public async Task bad_input_is_a_400_problem_naming_the_field_and_nothing_is_written(string body, string field)
    {
        var customer = NewCustomer();

        using var response = await app.Cart.PostAsync($"carts/{customer}/items", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        await AssertValidationProblemAsync(response, field);
        Assert.Null(await app.ReadStateAsync($"cart:{customer}"));
        Assert.Null(await app.ReadStateAsync("product-carts:p1"));
    }

    [Fact]
    public async Task a_bad_customer_id_is_a_400_problem_naming_it()
    {
        using var response = await app.Cart.PostAsJsonAsync("carts/bad%20id/items", Item(NewProduct()), Json);

        await AssertValidationProblemAsync(response, "customerId");
    }

    [Fact]
    public async Task merging_past_the_line_limit_is_a_400_naming_the_quantity_and_the_cart_stays_as_it_was()
    {
        var customer = NewCustomer();
        var book = NewProduct();
        await app.AddOkAsync(customer, Item(book, quantity: 990));
        var before = await app.ReadStateAsync($"cart:{customer}");

        using var response = await app.AddAsync(customer, Item(book, quantity: 10));

        await AssertValidationProblemAsync(response, "Quantity");
        Assert.Equal(before!.Value.ETag, (await app.ReadStateAsync($"cart:{customer}"))!.Value.ETag);
    }

    [Fact]
    public async Task when_two_adds_race_both_land()
    {
        await AssertConcurrentAddsAllLandAsync(2);
    }

    [Fact]
    public async Task when_twenty_adds_race_all_land()
    {
        await AssertConcurrentAddsAllLandAsync(20);
    }

    [Fact]
    public async Task when_twenty_adds_of_one_product_race_the_quantities_add_up()
    {
        var customer = NewCustomer();
        var book = NewProduct();

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => app.AddAsync(customer, Item(book, quantity: 2))));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(40, Assert.Single((await app.GetCartAsync(customer))!.Lines).Quantity);
    }

    [Fact]
    public async Task a_deleted_cart_is_gone_and_deleting_it_again_succeeds()
    {
        var customer = NewCustomer();
        await app.AddOkAsync(customer, Item(NewProduct()));

        var first = await app.Cart.DeleteAsync($"carts/{customer}");
        var second = await app.Cart.DeleteAsync($"carts/{customer}");

        Assert.Equal((HttpStatusCode.NoContent, HttpStatusCode.NoContent), (first.StatusCode, second.StatusCode));
        Assert.Null(await app.GetCartAsync(customer));
    }

    [Fact]
    public async Task a_published_product_update_reprices_every_cart_holding_the_product_and_only_those()
    {
        var (alice, bob, carol) = (NewCustomer(), NewCustomer(), NewCustomer());
        var (book, pen) = (NewProduct(), NewProduct());
        await app.AddOkAsync(alice, Item(book, quantity: 2, unitPrice: 10m));
        await app.AddOkAsync(bob, Item(book, quantity: 1, unitPrice: 10m));
        await app.AddOkAsync(bob, Item(pen, quantity: 1, unitPrice: 2m));
        await app.AddOkAsync(carol, Item(pen, quantity: 1, unitPrice: 2m));

        // A created event matches no rule of the cart's subscription: were it delivered, its higher version would win.
        await app.PublishAsync(ProductEvents.Created, Product(book, price: 99m, version: 9, name: "Created"));
        await app.PublishAsync(ProductEvents.Updated, Product(book, price: 12.5m, version: 2, name: "Second edition"));
        await app.WaitUntilEventsHandledAsync();

        var aliceBook = Assert.Single((await app.GetCartAsync(alice))!.Lines);
        Assert.Equal(("Second edition", 12.5m, 25m), (aliceBook.Name, aliceBook.UnitPrice, aliceBook.LineTotal));
        var bobs = (await app.GetCartAsync(bob))!;
        Assert.Equal([(book, 12.5m), (pen, 2m)], bobs.Lines.Select(l => (l.ProductId, l.UnitPrice)));
        Assert.Equal([new Money(14.5m, "EUR")], bobs.Totals);
        Assert.Equal(2m, Assert.Single((await app.GetCartAsync(carol))!.Lines).UnitPrice);
    }

    [Fact]
    public async Task the_same_event_published_twice_is_applied_once()
    {
        var customer = NewCustomer();
        var book = NewProduct();
        await app.AddOkAsync(customer, Item(book, unitPrice: 10m));
        var eventId = Guid.NewGuid().ToString();

        await app.PublishAsync(ProductEvents.Updated, Product(book, price: 20m, version: 2), eventId);
        await app.PublishAsync(ProductEvents.Updated, Product(book, price: 20m, version: 2), eventId);
        await app.WaitUntilEventsHandledAsync();

        var (document, _) = (await app.ReadStateAsync($"cart:{customer}"))!.Value;
        Assert.Equal([eventId], document.GetProperty("processedEventIds").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(20m, Assert.Single((await app.GetCartAsync(customer))!.Lines).UnitPrice);
    }

    [Fact]
    public async Task an_event_delivered_a_second_time_changes_nothing()
    {
        var customer = NewCustomer();
        var book = NewProduct();
        await app.AddOkAsync(customer, Item(book, unitPrice: 10m));
        var eventId = Guid.NewGuid().ToString();

        Assert.Equal(HttpStatusCode.OK, (await app.DeliverAsync(eventId, Product(book, price: 20m, version: 2))).StatusCode);
        var afterFirst = (await app.ReadStateAsync($"cart:{customer}"))!.Value;
        Assert.Equal(HttpStatusCode.OK, (await app.DeliverAsync(eventId, Product(book, price: 20m, version: 2))).StatusCode);
        var afterSecond = (await app.ReadStateAsync($"cart:{customer}"))!.Value;

        Assert.Equal(afterFirst.ETag, afterSecond.ETag);
        Assert.Equal(20m, Assert.Single((await app.GetCartAsync(customer))!.Lines).UnitPrice);
    }

    [Fact]
    public async Task an_older_product_version_does_not_overwrite_a_newer_price()
    {
        var customer = NewCustomer();
        var book = NewProduct();
        await app.AddOkAsync(customer, Item(book, unitPrice: 10m));

        await app.DeliverAsync(Guid.NewGuid().ToString(), Product(book, price: 30m, version: 3, name: "v3"));
        var late = await app.DeliverAsync(Guid.NewGuid().ToString(), Product(book, price: 20m, version: 2, name: "v2"));

        Assert.Equal(HttpStatusCode.OK, late.StatusCode);
        var line = Assert.Single((await app.GetCartAsync(customer))!.Lines);
        Assert.Equal(("v3", 30m), (line.Name, line.UnitPrice));
    }

    [Fact]
    public async Task an_event_with_bad_data_is_a_400_naming_the_field_and_changes_nothing()
    {
        var customer = NewCustomer();
        var book = NewProduct();
        await app.AddOkAsync(customer, Item(book, unitPrice: 10m));

        using var response = await app.DeliverAsync(Guid.NewGuid().ToString(), Product(book, price: 20m, version: 2) with { Currency = "euro" });

        await AssertValidationProblemAsync(response, "Currency");
        Assert.Equal(10m, Assert.Single((await app.GetCartAsync(customer))!.Lines).UnitPrice);
    }

    [Fact]
    public async Task an_event_that_is_not_a_cloudevent_is_a_400_naming_the_missing_event_id()
    {
        using var response = await app.Cart.PostAsJsonAsync("events/product-updated", Product(NewProduct(), price: 1m, version: 1), Json);

        await AssertValidationProblemAsync(response, "eventId");
    }

    [Fact]
    public async Task the_product_index_forgets_carts_that_no_longer_hold_the_product()
    {
        var (keeps, removes, deletes) = (NewCustomer(), NewCustomer(), NewCustomer());
        var book = NewProduct();
        foreach (var customer in new[] { keeps, removes, deletes })
        {
            await app.AddOkAsync(customer, Item(book));
        }

        await OkAsync(await app.Cart.DeleteAsync($"carts/{removes}/items/{book}"));
        await app.Cart.DeleteAsync($"carts/{deletes}");
        Assert.Equal(3, (await IndexedCustomersAsync(book)).Count);

        await app.DeliverAsync(Guid.NewGuid().ToString(), Product(book, price: 11m, version: 2));

        Assert.Equal([keeps], await IndexedCustomersAsync(book));
    }

    [Fact]
    public async Task a_state_store_scoped_to_another_app_is_not_offered_to_the_carts_sidecar()
    {
        using var response = await app.Sidecar.GetAsync($"/v1.0/state/{CartApp.OtherAppsStore}/anything");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("ERR_STATE_STORE_NOT_FOUND", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errorCode").GetString());
    }

    [Fact]
    public async Task the_openapi_document_describes_the_cart_api()
    {
        var document = await app.Cart.GetFromJsonAsync<JsonElement>("openapi/v1.json");

        var paths = document.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/carts/{customerId}/items", paths);
        Assert.DoesNotContain(paths, p => p.StartsWith("/events", StringComparison.Ordinal));
    }

    private async Task AssertConcurrentAddsAllLandAsync(int count)
    {
        var customer = NewCustomer();
        var products = Enumerable.Range(0, count).Select(_ => NewProduct()).ToList();

        var responses = await Task.WhenAll(products.Select(product => app.AddAsync(customer, Item(product))));

        foreach (var response in responses)
        {
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }

        var cart = await app.GetCartAsync(customer);
        Assert.Equal(products.Order(), cart!.Lines.Select(l => l.ProductId).Order());
    }

    private async Task<List<string>> IndexedCustomersAsync(string productId)
    {
        var (index, _) = (await app.ReadStateAsync($"product-carts:{productId}"))!.Value;
        return index.GetProperty("customers").EnumerateObject().Select(c => c.Name).ToList();
    }

    private static async Task AssertValidationProblemAsync(HttpResponseMessage response, string field)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var errors = JsonDocument.Parse(body).RootElement.GetProperty("errors").EnumerateObject().Select(e => e.Name);
        Assert.Contains(errors, name => string.Equals(name, field, StringComparison.OrdinalIgnoreCase));
    }
}

public sealed class CartServiceOnRedis(CartOnRedis app) : CartServiceTests<CartOnRedis>(app);

public sealed class CartServiceOnPostgres(CartOnPostgres app) : CartServiceTests<CartOnPostgres>(app);

public sealed class CartServiceInMemory(CartInMemory app) : CartServiceTests<CartInMemory>(app);
