using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapr.Testing;
using Payments.Tests.Infrastructure;
using static Payments.Tests.Infrastructure.LedgerClient;

namespace Payments.Tests.Api;

[Collection(SharedServers.Collection)]
public sealed class PaymentsApiTests(PaymentsApiFixture fixture) : IClassFixture<PaymentsApiFixture>
{
    private readonly LedgerClient _ledger = new(fixture.App.Api);

    private static string[] Types(JsonElement[] history) => history.Select(e => e.GetProperty("type").GetString()!).ToArray();

    [Fact]
    public async Task a_deposit_opens_the_account_and_the_same_deposit_again_is_applied_once()
    {
        var accountId = NewId("acc");
        var totalBefore = await _ledger.TotalAsync();

        var first = await OkAsync(await _ledger.DepositAsync(accountId, 100m, depositId: "d-" + accountId));
        var repeat = await OkAsync(await _ledger.DepositAsync(accountId, 100m, depositId: "d-" + accountId));

        Assert.Equal(first.ToString(), repeat.ToString());
        Assert.Equal(accountId, first.GetProperty("accountId").GetString());
        Assert.Equal((100m, 0m, 100m, 1L), await _ledger.BalancesAsync(accountId));
        Assert.Equal("EUR", first.GetProperty("currency").GetString());
        Assert.False(first.GetProperty("closed").GetBoolean());
        Assert.Equal(totalBefore + 100m, await _ledger.TotalAsync());
        var history = await _ledger.HistoryAsync(accountId);
        var deposited = Assert.Single(history);
        Assert.Equal(1, deposited.GetProperty("version").GetInt64());
        Assert.Equal("funds_deposited_v2", deposited.GetProperty("type").GetString());
        Assert.Equal(100m, deposited.GetProperty("data").GetProperty("amount").GetDecimal());
        Assert.Equal("EUR", deposited.GetProperty("data").GetProperty("currency").GetString());
        Assert.True(deposited.GetProperty("timestamp").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-5));
    }

    [Fact]
    public async Task a_deposit_id_reused_for_another_amount_is_a_conflict_and_writes_nothing()
    {
        var accountId = await _ledger.OpenAsync(10m);
        var depositId = NewId("dep");
        await OkAsync(await _ledger.DepositAsync(accountId, 5m, depositId: depositId));

        await ProblemAsync(await _ledger.DepositAsync(accountId, 6m, depositId: depositId), HttpStatusCode.Conflict, "deposit-mismatch");

        Assert.Equal((15m, 0m, 15m, 2L), await _ledger.BalancesAsync(accountId));
    }

    [Fact]
    public async Task authorize_then_capture_holds_and_then_moves_the_amount_to_the_merchant_each_once()
    {
        var accountId = await _ledger.OpenAsync(100m);
        var orderId = NewId("order");
        var merchantBefore = await _ledger.BalanceOrZeroAsync("merchant");
        var totalBefore = await _ledger.TotalAsync();

        var authorized = await OkAsync(await _ledger.AuthorizeAsync(orderId, accountId, 30m));
        Assert.Equal("Authorized", authorized.GetProperty("status").GetString());
        Assert.Equal(authorized.ToString(), (await OkAsync(await _ledger.AuthorizeAsync(orderId, accountId, 30m))).ToString());
        Assert.Equal((100m, 30m, 70m, 2L), await _ledger.BalancesAsync(accountId));

        var captured = await OkAsync(await _ledger.PostAsync($"payments/{orderId}/capture"));
        Assert.Equal(captured.ToString(), (await OkAsync(await _ledger.PostAsync($"payments/{orderId}/capture"))).ToString());

        Assert.Equal("Captured", captured.GetProperty("status").GetString());
        Assert.Equal(orderId, captured.GetProperty("orderId").GetString());
        Assert.Equal(accountId, captured.GetProperty("accountId").GetString());
        Assert.Equal(30m, captured.GetProperty("amount").GetDecimal());
        Assert.Equal("EUR", captured.GetProperty("currency").GetString());
        Assert.Equal(captured.ToString(), (await OkAsync(await _ledger.GetAsync($"payments/{orderId}"))).ToString());
        Assert.Equal((70m, 0m, 70m, 3L), await _ledger.BalancesAsync(accountId));
        Assert.Equal(merchantBefore + 30m, await _ledger.BalanceOrZeroAsync("merchant"));
        Assert.Equal(totalBefore, await _ledger.TotalAsync());

        var history = await _ledger.HistoryAsync(accountId);
        Assert.Equal(["funds_deposited_v2", "funds_held", "held_funds_debited"], Types(history));
        Assert.Equal([1L, 2L, 3L], history.Select(e => e.GetProperty("version").GetInt64()));
        Assert.Equal(orderId, history[1].GetProperty("data").GetProperty("orderId").GetString());
        Assert.Equal("merchant", history[2].GetProperty("data").GetProperty("to").GetString());
    }

    [Fact]
    public async Task a_void_releases_the_hold_once_and_a_late_authorize_or_capture_is_refused()
    {
        var accountId = await _ledger.OpenAsync(50m);
        var orderId = NewId("order");
        await OkAsync(await _ledger.AuthorizeAsync(orderId, accountId, 20m));

        var voided = await OkAsync(await _ledger.PostAsync($"payments/{orderId}/void"));
        Assert.Equal(voided.ToString(), (await OkAsync(await _ledger.PostAsync($"payments/{orderId}/void"))).ToString());

        Assert.Equal("Voided", voided.GetProperty("status").GetString());
        Assert.Equal((50m, 0m, 50m, 3L), await _ledger.BalancesAsync(accountId));
        await ProblemAsync(await _ledger.AuthorizeAsync(orderId, accountId, 20m), HttpStatusCode.Conflict, "payment-voided");
        await ProblemAsync(await _ledger.PostAsync($"payments/{orderId}/capture"), HttpStatusCode.Conflict, "not-authorized");
        Assert.Equal(["funds_deposited_v2", "funds_held", "hold_released"], Types(await _ledger.HistoryAsync(accountId)));
    }

    [Fact]
    public async Task a_void_after_capture_changes_nothing()
    {
        var accountId = await _ledger.OpenAsync(50m);
        var orderId = NewId("order");
        await OkAsync(await _ledger.AuthorizeAsync(orderId, accountId, 20m));
        await OkAsync(await _ledger.PostAsync($"payments/{orderId}/capture"));

        var afterVoid = await OkAsync(await _ledger.PostAsync($"payments/{orderId}/void"));

        Assert.Equal("Captured", afterVoid.GetProperty("status").GetString());
        Assert.Equal((30m, 0m, 30m, 3L), await _ledger.BalancesAsync(accountId));
    }

    [Fact]
    public async Task a_refund_moves_the_captured_amount_back_once()
    {
        var accountId = await _ledger.OpenAsync(100m);
        var orderId = NewId("order");
        await OkAsync(await _ledger.AuthorizeAsync(orderId, accountId, 40m));
        await OkAsync(await _ledger.PostAsync($"payments/{orderId}/capture"));
        var merchantBefore = await _ledger.BalanceOrZeroAsync("merchant");
        var totalBefore = await _ledger.TotalAsync();

        var refunded = await OkAsync(await _ledger.PostAsync($"payments/{orderId}/refund"));
        Assert.Equal(refunded.ToString(), (await OkAsync(await _ledger.PostAsync($"payments/{orderId}/refund"))).ToString());

        Assert.Equal("Refunded", refunded.GetProperty("status").GetString());
        Assert.Equal((100m, 0m, 100m, 4L), await _ledger.BalancesAsync(accountId));
        Assert.Equal(merchantBefore - 40m, await _ledger.BalanceOrZeroAsync("merchant"));
        Assert.Equal(totalBefore, await _ledger.TotalAsync());
        var credited = (await _ledger.HistoryAsync(accountId))[3];
        Assert.Equal("funds_credited", credited.GetProperty("type").GetString());
        Assert.Equal("merchant", credited.GetProperty("data").GetProperty("from").GetString());
        Assert.Equal($"payment:{orderId}", credited.GetProperty("data").GetProperty("reference").GetString());
    }

    [Fact]
    public async Task a_refund_of_an_authorization_that_was_never_captured_changes_nothing()
    {
        var accountId = await _ledger.OpenAsync(100m);
        var orderId = NewId("order");
        await OkAsync(await _ledger.AuthorizeAsync(orderId, accountId, 40m));

        var afterRefund = await OkAsync(await _ledger.PostAsync($"payments/{orderId}/refund"));

        Assert.Equal("Authorized", afterRefund.GetProperty("status").GetString());
        Assert.Equal((100m, 40m, 60m, 2L), await _ledger.BalancesAsync(accountId));
    }

    [Theory]
    [InlineData("refund", "Refunded")]
    [InlineData("void", "Voided")]
    public async Task a_compensation_of_nothing_leaves_a_tombstone_and_a_late_authorize_is_refused(string compensation, string status)
    {
        var accountId = await _ledger.OpenAsync(100m);
        var orderId = NewId("order");

        var tombstone = await OkAsync(await _ledger.PostAsync($"payments/{orderId}/{compensation}"));
        Assert.Equal(tombstone.ToString(), (await OkAsync(await _ledger.PostAsync($"payments/{orderId}/{compensation}"))).ToString());

        Assert.Equal(status, tombstone.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, tombstone.GetProperty("accountId").ValueKind);
        await ProblemAsync(await _ledger.AuthorizeAsync(orderId, accountId, 10m), HttpStatusCode.Conflict, "payment-voided");
        Assert.Equal((100m, 0m, 100m, 1L), await _ledger.BalancesAsync(accountId));
    }

    [Fact]
    public async Task when_the_account_has_insufficient_funds_authorize_is_refused_and_nothing_is_written()
    {
        var accountId = await _ledger.OpenAsync(10m);
        var orderId = NewId("order");

        var problem = await ProblemAsync(await _ledger.AuthorizeAsync(orderId, accountId, 10.01m), HttpStatusCode.UnprocessableEntity, "insufficient-funds");

        Assert.Equal(422, problem.GetProperty("status").GetInt32());
        Assert.Equal((10m, 0m, 10m, 1L), await _ledger.BalancesAsync(accountId));
        Assert.Equal(HttpStatusCode.NotFound, (await _ledger.GetAsync($"payments/{orderId}")).StatusCode);
        // Refused, not tombstoned: the order may be authorized once the money is there.
        await OkAsync(await _ledger.DepositAsync(accountId, 1m));
        await OkAsync(await _ledger.AuthorizeAsync(orderId, accountId, 10.01m));
    }

    [Fact]
    public async Task authorize_on_an_unknown_account_is_refused()
    {
        var orderId = NewId("order");

        await ProblemAsync(await _ledger.AuthorizeAsync(orderId, NewId("nobody"), 1m), HttpStatusCode.UnprocessableEntity, "unknown-account");

        Assert.Equal(HttpStatusCode.NotFound, (await _ledger.GetAsync($"payments/{orderId}")).StatusCode);
    }

    [Fact]
    public async Task a_repeated_authorize_for_another_amount_is_a_conflict()
    {
        var accountId = await _ledger.OpenAsync(100m);
        var orderId = NewId("order");
        await OkAsync(await _ledger.AuthorizeAsync(orderId, accountId, 10m));

        await ProblemAsync(await _ledger.AuthorizeAsync(orderId, accountId, 11m), HttpStatusCode.Conflict, "payment-mismatch");

        Assert.Equal((100m, 10m, 90m, 2L), await _ledger.BalancesAsync(accountId));
    }

    [Fact]
    public async Task money_in_another_currency_is_refused()
    {
        var accountId = await _ledger.OpenAsync(100m, "EUR");

        await ProblemAsync(await _ledger.AuthorizeAsync(NewId("order"), accountId, 10m, "USD"), HttpStatusCode.UnprocessableEntity, "currency-mismatch");
        await ProblemAsync(await _ledger.DepositAsync(accountId, 10m, "USD"), HttpStatusCode.UnprocessableEntity, "currency-mismatch");

        Assert.Equal((100m, 0m, 100m, 1L), await _ledger.BalancesAsync(accountId));
    }

    [Fact]
    public async Task a_capture_without_an_authorization_is_refused_and_writes_nothing()
    {
        var orderId = NewId("order");

        await ProblemAsync(await _ledger.PostAsync($"payments/{orderId}/capture"), HttpStatusCode.Conflict, "not-authorized");

        Assert.Equal(HttpStatusCode.NotFound, (await _ledger.GetAsync($"payments/{orderId}")).StatusCode);
    }

    [Fact]
    public async Task a_closed_account_takes_no_deposit()
    {
        var accountId = await _ledger.OpenAsync(5m);

        var closed = await OkAsync(await _ledger.PostAsync($"accounts/{accountId}/close"));
        await OkAsync(await _ledger.PostAsync($"accounts/{accountId}/close"));

        Assert.True(closed.GetProperty("closed").GetBoolean());
        await ProblemAsync(await _ledger.DepositAsync(accountId, 1m), HttpStatusCode.UnprocessableEntity, "account-closed");
        Assert.Equal((5m, 0m, 5m, 2L), await _ledger.BalancesAsync(accountId));
        Assert.Equal(HttpStatusCode.NotFound, (await _ledger.PostAsync($"accounts/{NewId("nobody")}/close")).StatusCode);
    }

    [Fact]
    public async Task an_unknown_account_payment_or_history_is_not_found()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await _ledger.GetAsync($"accounts/{NewId("nobody")}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _ledger.GetAsync($"accounts/{NewId("nobody")}/history")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _ledger.GetAsync($"payments/{NewId("order")}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _ledger.GetAsync($"transfers/{NewId("transfer")}")).StatusCode);
    }

    [Theory]
    [InlineData("""{ "depositId": "d1", "amount": -1, "currency": "EUR" }""", "Amount")]
    [InlineData("""{ "depositId": "d1", "amount": 0, "currency": "EUR" }""", "Amount")]
    [InlineData("""{ "depositId": "d1", "currency": "EUR" }""", "Amount")]
    [InlineData("""{ "depositId": "d1", "amount": 1, "currency": "eur" }""", "Currency")]
    [InlineData("""{ "depositId": "d1", "amount": 1 }""", "Currency")]
    [InlineData("""{ "amount": 1, "currency": "EUR" }""", "DepositId")]
    [InlineData("""{ "depositId": "a:b", "amount": 1, "currency": "EUR" }""", "DepositId")]
    public async Task a_bad_deposit_is_a_400_naming_the_field_and_writes_nothing(string body, string field)
    {
        var accountId = NewId("acc");

        using var response = await fixture.App.Api.PostAsync($"accounts/{accountId}/deposits", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        await AssertNamesOnlyAsync(response, field);
        Assert.Null(await _ledger.AccountAsync(accountId));
    }

    [Fact]
    public async Task a_bad_id_in_the_path_is_a_400_naming_it()
    {
        await AssertNamesOnlyAsync(await _ledger.DepositAsync("not:an-id", 1m), "accountId");
        await AssertNamesOnlyAsync(await _ledger.AuthorizeAsync("order:1", NewId("acc"), 1m), "orderId");
        await AssertNamesOnlyAsync(await _ledger.AuthorizeAsync(NewId("order"), "acc:1", 1m), "AccountId");
        await AssertNamesOnlyAsync(await _ledger.PostAsync("transfers/t:1/refund"), "transferId");
        await AssertNamesOnlyAsync(await _ledger.PostAsync($"transfers/{NewId("transfer")}/credit", new { to = "" }), "To");
    }

    private static async Task AssertNamesOnlyAsync(HttpResponseMessage response, string field)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {body}");
        var errors = JsonDocument.Parse(body).RootElement.GetProperty("errors");
        Assert.Equal([field], errors.EnumerateObject().Select(e => e.Name));
    }
}
