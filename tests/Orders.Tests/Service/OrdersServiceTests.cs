using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapr.Testing;

namespace Orders.Tests.Service;

[Collection(SharedServers.Collection)]
public sealed class OrdersServiceTests(OrdersSystem system) : IClassFixture<OrdersSystem>
{
    private HttpClient Orders => system.Orders;

    private static string NewOrderId() => "order-" + Guid.NewGuid().ToString("N")[..12];

    private static object[] TwoLines() =>
    [
        new { productId = "book-1", sku = "BK-001", name = "A book", unitPrice = 42.5m, currency = "EUR", quantity = 2 },
        new { productId = "pen-1", sku = "PN-001", name = "A pen", unitPrice = 1.25m, currency = "EUR", quantity = 4 },
    ];

    private static object Checkout(string orderId, Guid customerId, object[]? lines = null) =>
        new { orderId, customerId, lines = lines ?? TwoLines() };

    private async Task<JsonElement> PlaceAsync(string orderId, Guid customerId)
    {
        using var response = await Orders.PostAsJsonAsync("orders", Checkout(orderId, customerId));
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}\n{system.Output}");
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private async Task<JsonElement> GetAsync(string orderId) => await Orders.GetFromJsonAsync<JsonElement>($"orders/{orderId}");

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private Task<long> OrderRowsAsync(string orderId) => system.CountAsync("SELECT count(*) FROM orders WHERE order_id = $1", orderId);

    private Task<long> OutboxRowsAsync(string orderId) => system.CountAsync("SELECT count(*) FROM outbox WHERE order_id = $1", orderId);

    private Task WaitUntilOutboxSentAsync(string orderId) => Eventually.ThatAsync(
        async () => await system.CountAsync("SELECT count(*) FROM outbox WHERE order_id = $1 AND sent_at IS NULL", orderId) == 0,
        $"the outbox rows of {orderId} to be sent", () => system.Output);

    private async Task<IReadOnlyList<JsonElement>> WaitForEventsAsync(string orderId, int count)
    {
        IReadOnlyList<JsonElement> events = [];
        await Eventually.ThatAsync(async () => (events = await system.PublishedAsync(OrdersSystem.OrdersTopic, orderId)).Count >= count,
            $"{count} event(s) of order {orderId} on topic orders", () => system.Output);
        return events;
    }

    [Fact]
    public async Task a_checkout_places_a_pending_order_with_a_copy_of_the_customer_and_starts_its_saga()
    {
        var customerId = await system.CreateCustomerAsync("Ann Checkout");
        var orderId = NewOrderId();

        using var response = await Orders.PostAsJsonAsync("orders", Checkout(orderId, customerId));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal($"/orders/{orderId}", response.Headers.Location?.OriginalString);
        var order = await GetAsync(orderId);
        Assert.Equal("Pending", order.GetProperty("status").GetString());
        Assert.Equal("Ann Checkout", order.GetProperty("customer").GetProperty("name").GetString());
        Assert.Equal(1, order.GetProperty("customer").GetProperty("version").GetInt32());
        Assert.Equal(90m, order.GetProperty("total").GetDecimal());
        Assert.Equal("EUR", order.GetProperty("currency").GetString());
        Assert.Equal(2, order.GetProperty("lines").GetArrayLength());
        Assert.False(order.GetProperty("needsAttention").GetBoolean());
        Assert.Equal(["Pending"], order.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("status").GetString()));

        IReadOnlyList<JsonElement> starts = [];
        await Eventually.ThatAsync(async () => (starts = await system.SagaStartsAsync(orderId)).Count > 0, "the saga start", () => system.Output);
        var input = Assert.Single(starts).GetProperty("input");
        Assert.Equal(orderId, input.GetProperty("orderId").GetString());
        Assert.Equal(customerId.ToString(), input.GetProperty("paymentAccountId").GetString());
        Assert.Equal(customerId, input.GetProperty("customerId").GetGuid());
        Assert.Equal(90m, input.GetProperty("total").GetDecimal());
        Assert.Equal("EUR", input.GetProperty("currency").GetString());
        Assert.Equal([("book-1", "BK-001", 2, 42.5m), ("pen-1", "PN-001", 4, 1.25m)], input.GetProperty("lines").EnumerateArray().Select(line => (
            line.GetProperty("productId").GetString(), line.GetProperty("sku").GetString(), line.GetProperty("quantity").GetInt32(), line.GetProperty("unitPrice").GetDecimal())));
    }

    [Fact]
    public async Task the_commit_wakes_the_relay_so_the_saga_starts_long_before_the_next_poll()
    {
        var customerId = await system.CreateCustomerAsync();
        var orderId = NewOrderId();
        var clock = System.Diagnostics.Stopwatch.StartNew();

        await PlaceAsync(orderId, customerId);
        await Eventually.ThatAsync(async () => (await system.SagaStartsAsync(orderId)).Count > 0, "the saga start", () => system.Output);

        // The poll comes once a minute here (OrdersSystem.PollInterval), so anything well under that proves the wake-up;
        // 20 s leaves room for a first call through two sidecars on two busy cores.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"the saga started {clock.Elapsed} after the checkout");
    }

    [Fact]
    public async Task ten_parallel_identical_checkouts_make_one_order_and_start_one_saga()
    {
        var customerId = await system.CreateCustomerAsync();
        var orderId = NewOrderId();

        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Orders.PostAsJsonAsync("orders", Checkout(orderId, customerId))));

        Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.Accepted));
        Assert.Equal(9, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        foreach (var response in responses)
        {
            Assert.Equal(orderId, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("orderId").GetString());
            response.Dispose();
        }

        Assert.Equal(1, await OrderRowsAsync(orderId));
        Assert.Equal(1, await system.CountAsync("SELECT count(*) FROM outbox WHERE order_id = $1 AND kind = 'start-saga'", orderId));
        Assert.Equal(1, await system.CountAsync("SELECT count(*) FROM order_status_history WHERE order_id = $1", orderId));
        await WaitUntilOutboxSentAsync(orderId);
        var start = Assert.Single(await system.SagaStartsAsync(orderId));
        Assert.Equal(1, start.GetProperty("attempt").GetInt32());
    }

    [Fact]
    public async Task a_repeated_checkout_answers_200_with_the_order_and_writes_nothing()
    {
        var customerId = await system.CreateCustomerAsync();
        var orderId = NewOrderId();
        var placed = await PlaceAsync(orderId, customerId);

        using var repeat = await Orders.PostAsJsonAsync("orders", Checkout(orderId, customerId));

        Assert.Equal(HttpStatusCode.OK, repeat.StatusCode);
        Assert.Equal(placed.GetProperty("total").GetDecimal(), (await repeat.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("total").GetDecimal());
        Assert.Equal(1, await OutboxRowsAsync(orderId));
    }

    [Fact]
    public async Task the_same_order_id_with_other_lines_is_a_conflict_and_writes_nothing()
    {
        var customerId = await system.CreateCustomerAsync();
        var orderId = NewOrderId();
        await PlaceAsync(orderId, customerId);

        using var response = await Orders.PostAsJsonAsync("orders", Checkout(orderId, customerId,
            [new { productId = "book-1", sku = "BK-001", name = "A book", unitPrice = 42.5m, currency = "EUR", quantity = 3 }]));

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("order-id-in-use", (await ProblemAsync(response)).GetProperty("code").GetString());
        Assert.Equal(2, await system.CountAsync("SELECT count(*) FROM order_lines WHERE order_id = $1", orderId));
        Assert.Equal(1, await OutboxRowsAsync(orderId));
    }

    [Fact]
    public async Task an_unknown_customer_is_refused_as_unknown_customer_and_nothing_is_written()
    {
        var orderId = NewOrderId();

        using var response = await Orders.PostAsJsonAsync("orders", Checkout(orderId, Guid.NewGuid()));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("unknown-customer", (await ProblemAsync(response)).GetProperty("code").GetString());
        Assert.Equal(0, await OrderRowsAsync(orderId));
        Assert.Equal(0, await OutboxRowsAsync(orderId));
    }

    [Fact]
    public async Task a_checkout_copies_the_customer_from_orders_replica_without_asking_customers()
    {
        // A customer that only the event names: customers itself would answer 404.
        var customerId = Guid.NewGuid();
        await system.PublishCustomerEventAsync("customer.created.v1", "test-" + Guid.NewGuid().ToString("N"),
            new { id = customerId, email = "only.in.the.event@example.org", name = "Replica Only", version = 3 });
        await system.WaitUntilCustomerEventsHandledAsync();
        var orderId = NewOrderId();

        await PlaceAsync(orderId, customerId);

        var customer = (await GetAsync(orderId)).GetProperty("customer");
        Assert.Equal(("Replica Only", "only.in.the.event@example.org", 3),
            (customer.GetProperty("name").GetString(), customer.GetProperty("email").GetString(), customer.GetProperty("version").GetInt32()));
    }

    [Fact]
    public async Task a_customer_orders_has_not_heard_of_is_asked_of_customers_and_kept_in_the_replica()
    {
        var customerId = await system.CreateCustomerAsync("Ann Before The Subscription");
        // Change capture publishes the creation a moment after the commit: until it has been published, "every event
        // handled" is true of the stream without it.
        await Eventually.ThatAsync(
            async () => await system.CountAsync("SELECT count(*) FROM customer_replica WHERE customer_id = $1", customerId) == 1,
            "the new customer to reach orders' replica", () => system.Output);
        await system.WaitUntilCustomerEventsHandledAsync();
        // As if the customer had been created before orders subscribed to topic customers.
        Assert.Equal(1, await system.CountAsync(
            "WITH gone AS (DELETE FROM customer_replica WHERE customer_id = $1 RETURNING 1) SELECT count(*) FROM gone", customerId));
        var orderId = NewOrderId();

        await PlaceAsync(orderId, customerId);

        Assert.Equal("Ann Before The Subscription", (await GetAsync(orderId)).GetProperty("customer").GetProperty("name").GetString());
        Assert.Equal(1, await system.CountAsync(
            "SELECT count(*) FROM customer_replica WHERE customer_id = $1 AND name = 'Ann Before The Subscription' AND version = 1", customerId));
    }

    [Fact]
    public async Task a_deleted_customer_is_refused_at_checkout_for_good_while_a_repeat_of_their_earlier_order_answers_200()
    {
        var customerId = await system.CreateCustomerAsync();
        var earlierOrderId = NewOrderId();
        await PlaceAsync(earlierOrderId, customerId);

        await system.PublishCustomerEventAsync("customer.deleted.v1", "test-" + Guid.NewGuid().ToString("N"), new { id = customerId });
        // An update arriving after the delete (redelivered, or overtaken) must not bring the customer back.
        await system.PublishCustomerEventAsync("customer.updated.v1", "test-" + Guid.NewGuid().ToString("N"),
            new { id = customerId, email = "ann.back@example.org", name = "Ann Back", version = 9 });
        await system.WaitUntilCustomerEventsHandledAsync();
        var orderId = NewOrderId();

        using var refused = await Orders.PostAsJsonAsync("orders", Checkout(orderId, customerId));
        using var repeat = await Orders.PostAsJsonAsync("orders", Checkout(earlierOrderId, customerId));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Equal("unknown-customer", (await ProblemAsync(refused)).GetProperty("code").GetString());
        Assert.Equal(0, await OrderRowsAsync(orderId));
        Assert.Equal(0, await OutboxRowsAsync(orderId));
        Assert.Equal(HttpStatusCode.OK, repeat.StatusCode);
        Assert.Equal(1, await system.CountAsync("SELECT count(*) FROM customer_replica WHERE customer_id = $1 AND deleted", customerId));
    }

    [Fact]
    public async Task lines_in_two_currencies_are_refused_as_mixed_currencies_and_nothing_is_written()
    {
        var customerId = await system.CreateCustomerAsync();
        var orderId = NewOrderId();

        using var response = await Orders.PostAsJsonAsync("orders", Checkout(orderId, customerId,
        [
            new { productId = "book-1", sku = "BK-001", name = "A book", unitPrice = 42.5m, currency = "EUR", quantity = 1 },
            new { productId = "mug-1", sku = "MG-001", name = "A mug", unitPrice = 8m, currency = "USD", quantity = 1 },
        ]));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("mixed-currencies", (await ProblemAsync(response)).GetProperty("code").GetString());
        Assert.Equal(0, await OrderRowsAsync(orderId));
    }

    public static TheoryData<string, string> BadCheckouts => new()
    {
        { """{ "customerId": "0190a1b2-0000-7000-8000-000000000001", "lines": [{ "productId": "p", "sku": "s", "name": "n", "unitPrice": 1, "currency": "EUR", "quantity": 1 }] }""", "OrderId" },
        { """{ "orderId": "has a space", "customerId": "0190a1b2-0000-7000-8000-000000000001", "lines": [{ "productId": "p", "sku": "s", "name": "n", "unitPrice": 1, "currency": "EUR", "quantity": 1 }] }""", "OrderId" },
        { """{ "orderId": "bad-1", "customerId": "alice", "lines": [{ "productId": "p", "sku": "s", "name": "n", "unitPrice": 1, "currency": "EUR", "quantity": 1 }] }""", "CustomerId" },
        { """{ "orderId": "bad-2", "customerId": "0190a1b2-0000-7000-8000-000000000001", "lines": [] }""", "Lines" },
        { """{ "orderId": "bad-3", "customerId": "0190a1b2-0000-7000-8000-000000000001", "lines": [{ "productId": "p", "sku": "s", "name": "n", "unitPrice": 1, "currency": "EUR", "quantity": 0 }] }""", "Quantity" },
        { """{ "orderId": "bad-4", "customerId": "0190a1b2-0000-7000-8000-000000000001", "lines": [{ "productId": "p", "sku": "s", "name": "n", "unitPrice": -1, "currency": "EUR", "quantity": 1 }] }""", "UnitPrice" },
        { """{ "orderId": "bad-5", "customerId": "0190a1b2-0000-7000-8000-000000000001", "lines": [{ "productId": "p", "sku": "s", "name": "n", "unitPrice": 1, "currency": "euro", "quantity": 1 }] }""", "Currency" },
        { """{ "orderId": "bad-7", "customerId": "0190a1b2-0000-7000-8000-000000000001", "lines": [null] }""", "Lines" },
        { """{ "orderId": "bad-6", "customerId": "0190a1b2-0000-7000-8000-000000000001", "lines": [{ "productId": "p", "sku": "s", "name": "n", "unitPrice": 1, "currency": "EUR", "quantity": 1 }, { "productId": "p", "sku": "s", "name": "n", "unitPrice": 1, "currency": "EUR", "quantity": 2 }] }""", "Lines" },
    };

    [Theory]
    [MemberData(nameof(BadCheckouts))]
    public async Task a_bad_checkout_is_a_400_naming_the_field_and_writes_nothing(string body, string field)
    {
        var before = await system.CountAsync("SELECT count(*) FROM orders");

        using var response = await Orders.PostAsync("orders", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await ProblemAsync(response)).GetProperty("errors");
        Assert.Contains(errors.EnumerateObject(), error => error.Name.EndsWith(field, StringComparison.Ordinal));
        Assert.Equal(before, await system.CountAsync("SELECT count(*) FROM orders"));
    }

    [Fact]
    public async Task a_cancel_without_a_reason_is_a_400_naming_reason_and_changes_nothing()
    {
        var orderId = NewOrderId();
        await PlaceAsync(orderId, await system.CreateCustomerAsync());

        using var response = await Orders.PostAsJsonAsync($"orders/{orderId}/cancel", new { reason = " " });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await ProblemAsync(response)).GetProperty("errors").TryGetProperty("Reason", out _));
        Assert.Equal("Pending", (await GetAsync(orderId)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task the_relay_retries_while_order_workflow_is_down_and_starts_the_saga_once_it_is_back()
    {
        var customerId = await system.CreateCustomerAsync();
        var orderId = NewOrderId();
        await system.WorkflowApp.KillAppAsync();
        try
        {
            await PlaceAsync(orderId, customerId);

            await Eventually.ThatAsync(
                async () => await system.CountAsync("SELECT count(*) FROM outbox WHERE order_id = $1 AND sent_at IS NULL AND attempts >= 3 AND last_error IS NOT NULL", orderId) == 1,
                "three failed attempts to start the saga", () => system.Output);
        }
        finally
        {
            await system.WorkflowApp.StartAppAsync();
        }

        await WaitUntilOutboxSentAsync(orderId);
        var start = Assert.Single(await system.SagaStartsAsync(orderId));
        Assert.Equal(orderId, start.GetProperty("input").GetProperty("orderId").GetString());
    }

    [Fact]
    public async Task confirming_publishes_one_order_confirmed_event_whose_id_is_the_outbox_rows_however_often_it_is_confirmed()
    {
        var customerId = await system.CreateCustomerAsync();
        var orderId = NewOrderId();
        await PlaceAsync(orderId, customerId);

        using var first = await Orders.PostAsync($"orders/{orderId}/confirm", null);
        using var second = await Orders.PostAsync($"orders/{orderId}/confirm", null);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first.StatusCode, second.StatusCode));
        var confirmed = await second.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Confirmed", confirmed.GetProperty("status").GetString());
        Assert.Equal(["Pending", "Confirmed"], confirmed.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("status").GetString()));
        await WaitUntilOutboxSentAsync(orderId);
        var published = Assert.Single(await WaitForEventsAsync(orderId, 1));
        Assert.Equal("order.confirmed.v1", published.GetProperty("type").GetString());
        Assert.Equal(
            (await system.Database.CreateCommand($"SELECT id::text FROM outbox WHERE order_id = '{orderId}' AND kind = 'event'").ExecuteScalarAsync())!.ToString(),
            published.GetProperty("id").GetString());
        // What recommendations' OrderConfirmed requires.
        var data = published.GetProperty("data");
        Assert.Equal(orderId, data.GetProperty("orderId").GetString());
        Assert.Equal(customerId.ToString(), data.GetProperty("customerId").GetString());
        Assert.Equal([("book-1", 2), ("pen-1", 4)], data.GetProperty("lines").EnumerateArray().Select(l => (l.GetProperty("productId").GetString(), l.GetProperty("quantity").GetInt32())));
        Assert.Equal(90m, data.GetProperty("total").GetDecimal());
        Assert.Equal("EUR", data.GetProperty("currency").GetString());
        Assert.True(data.GetProperty("confirmedAt").TryGetDateTimeOffset(out _));
    }

    [Fact]
    public async Task cancelling_publishes_one_order_cancelled_event_and_a_repeat_keeps_the_first_reason()
    {
        var orderId = NewOrderId();
        await PlaceAsync(orderId, await system.CreateCustomerAsync());

        using var first = await Orders.PostAsJsonAsync($"orders/{orderId}/cancel", new { reason = "out of stock" });
        using var second = await Orders.PostAsJsonAsync($"orders/{orderId}/cancel", new { reason = "something else" });

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first.StatusCode, second.StatusCode));
        var cancelled = await second.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(("Cancelled", "out of stock"), (cancelled.GetProperty("status").GetString(), cancelled.GetProperty("cancellationReason").GetString()));
        await WaitUntilOutboxSentAsync(orderId);
        var published = Assert.Single(await WaitForEventsAsync(orderId, 1));
        Assert.Equal("order.cancelled.v1", published.GetProperty("type").GetString());
        Assert.Equal("out of stock", published.GetProperty("data").GetProperty("reason").GetString());
    }

    [Fact]
    public async Task confirming_a_cancelled_order_and_cancelling_a_confirmed_one_are_409_and_publish_nothing_more()
    {
        var cancelledId = NewOrderId();
        var confirmedId = NewOrderId();
        var customerId = await system.CreateCustomerAsync();
        await PlaceAsync(cancelledId, customerId);
        await PlaceAsync(confirmedId, customerId);
        (await Orders.PostAsJsonAsync($"orders/{cancelledId}/cancel", new { reason = "payment declined" })).EnsureSuccessStatusCode();
        (await Orders.PostAsync($"orders/{confirmedId}/confirm", null)).EnsureSuccessStatusCode();

        using var confirmCancelled = await Orders.PostAsync($"orders/{cancelledId}/confirm", null);
        using var cancelConfirmed = await Orders.PostAsJsonAsync($"orders/{confirmedId}/cancel", new { reason = "too late" });

        Assert.Equal(HttpStatusCode.Conflict, confirmCancelled.StatusCode);
        Assert.Equal("order-cancelled", (await ProblemAsync(confirmCancelled)).GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.Conflict, cancelConfirmed.StatusCode);
        Assert.Equal("order-confirmed", (await ProblemAsync(cancelConfirmed)).GetProperty("code").GetString());
        Assert.Equal("Cancelled", (await GetAsync(cancelledId)).GetProperty("status").GetString());
        Assert.Equal("Confirmed", (await GetAsync(confirmedId)).GetProperty("status").GetString());
        Assert.Equal(2, await OutboxRowsAsync(cancelledId));
        Assert.Equal(2, await OutboxRowsAsync(confirmedId));
    }

    [Fact]
    public async Task an_order_flagged_for_attention_keeps_its_status_and_shows_the_reason()
    {
        var orderId = NewOrderId();
        await PlaceAsync(orderId, await system.CreateCustomerAsync());
        (await Orders.PostAsJsonAsync($"orders/{orderId}/cancel", new { reason = "payment declined" })).EnsureSuccessStatusCode();

        using var response = await Orders.PostAsJsonAsync($"orders/{orderId}/attention", new { reason = "release kept failing" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var order = await GetAsync(orderId);
        Assert.Equal(("Cancelled", true, "release kept failing"),
            (order.GetProperty("status").GetString(), order.GetProperty("needsAttention").GetBoolean(), order.GetProperty("attentionReason").GetString()));
        Assert.Equal(2, order.GetProperty("history").GetArrayLength());
    }

    [Fact]
    public async Task commands_on_an_unknown_order_are_404()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await Orders.GetAsync("orders/no-such-order")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Orders.PostAsync("orders/no-such-order/confirm", null)).StatusCode);
    }

    [Fact]
    public async Task a_newer_customer_updated_refreshes_the_copy_and_a_duplicate_or_older_event_changes_nothing()
    {
        var customerId = await system.CreateCustomerAsync("Ann Original");
        var orderId = NewOrderId();
        await PlaceAsync(orderId, customerId);
        var eventId = "test-" + Guid.NewGuid().ToString("N");

        await system.PublishCustomerEventAsync("customer.updated.v1", eventId,
            new { id = customerId, email = "ann.v5@example.org", name = "Ann Five", version = 5 });
        // Deliveries run in parallel, so the first copy must be handled before the duplicate is sent; otherwise either
        // could be the one whose id is recorded first.
        await system.WaitUntilCustomerEventsHandledAsync();
        // The same event again, delivered a second time: its id is recorded, so even different content changes nothing.
        await system.PublishCustomerEventAsync("customer.updated.v1", eventId,
            new { id = customerId, email = "ann.v6@example.org", name = "Ann Six", version = 6 });
        // An older version, arriving late under an id of its own.
        await system.PublishCustomerEventAsync("customer.updated.v1", "test-" + Guid.NewGuid().ToString("N"),
            new { id = customerId, email = "ann.v4@example.org", name = "Ann Four", version = 4 });
        await system.WaitUntilCustomerEventsHandledAsync();

        var customer = (await GetAsync(orderId)).GetProperty("customer");
        Assert.Equal(("Ann Five", "ann.v5@example.org", 5),
            (customer.GetProperty("name").GetString(), customer.GetProperty("email").GetString(), customer.GetProperty("version").GetInt32()));
        Assert.Equal(1, await system.CountAsync("SELECT count(*) FROM processed_events WHERE event_id = $1", eventId));
        Assert.Equal(1, await system.CountAsync(
            "SELECT count(*) FROM customer_replica WHERE customer_id = $1 AND name = 'Ann Five' AND version = 5", customerId));
    }

    [Fact]
    public async Task renaming_a_customer_in_customers_reaches_the_copy_in_their_orders()
    {
        var customerId = await system.CreateCustomerAsync("Ann Before");
        var orderId = NewOrderId();
        await PlaceAsync(orderId, customerId);
        var current = await system.Customers.GetFromJsonAsync<JsonElement>($"customers/{customerId}");

        using var rename = new HttpRequestMessage(HttpMethod.Put, $"customers/{customerId}")
        {
            Content = JsonContent.Create(new { email = current.GetProperty("email").GetString(), name = "Ann After" }),
        };
        rename.Headers.TryAddWithoutValidation("If-Match", "\"1\"");
        (await system.Customers.SendAsync(rename)).EnsureSuccessStatusCode();

        await Eventually.ThatAsync(async () => (await GetAsync(orderId)).GetProperty("customer").GetProperty("name").GetString() == "Ann After",
            "customer.updated.v1 from the customers relay to reach the order", () => system.Output);
        Assert.Equal(2, (await GetAsync(orderId)).GetProperty("customer").GetProperty("version").GetInt32());
    }

    [Fact]
    public async Task the_cart_checks_out_its_lines_as_an_order_and_passes_on_orders_answer()
    {
        var customerId = await system.CreateCustomerAsync();
        var orderId = NewOrderId();
        (await system.Cart.PostAsJsonAsync($"carts/{customerId}/items",
            new { productId = "book-1", sku = "BK-001", name = "A book", unitPrice = 42.5m, currency = "EUR", quantity = 2 })).EnsureSuccessStatusCode();

        using var placed = await system.Cart.PostAsJsonAsync($"carts/{customerId}/checkout", new { orderId });
        using var repeated = await system.Cart.PostAsJsonAsync($"carts/{customerId}/checkout", new { orderId });

        Assert.True(placed.StatusCode == HttpStatusCode.Accepted, $"{placed.StatusCode}: {await placed.Content.ReadAsStringAsync()}\n{system.Output}");
        var order = await placed.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((orderId, 85m), (order.GetProperty("orderId").GetString(), order.GetProperty("total").GetDecimal()));
        Assert.Equal(HttpStatusCode.OK, repeated.StatusCode);
        Assert.Equal("Pending", (await GetAsync(orderId)).GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await system.Cart.PostAsJsonAsync("carts/nobody/checkout", new { orderId = NewOrderId() })).StatusCode);
    }
}
