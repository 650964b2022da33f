using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapr.Testing;
using Payments.Tests.Infrastructure;
using static Payments.Tests.Infrastructure.LedgerClient;

namespace Payments.Tests.Api;

/// <summary>Commands racing for the same streams: each lands once or is refused on business grounds.</summary>
[Collection(SharedServers.Collection)]
public sealed class ConcurrencyTests(PaymentsApiFixture fixture) : IClassFixture<PaymentsApiFixture>
{
    private readonly LedgerClient _ledger = new(fixture.App.Api);

    private static async Task<(HttpStatusCode Status, string? Code)> AnswerAsync(Task<HttpResponseMessage> call)
    {
        using var response = await call;
        if (response.StatusCode == HttpStatusCode.OK)
        {
            return (response.StatusCode, null);
        }

        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode is >= 400 and < 500, $"a fault, not a business answer: {(int)response.StatusCode} {body}");
        return (response.StatusCode, JsonDocument.Parse(body).RootElement.GetProperty("code").GetString());
    }

    [Fact]
    public async Task fifty_parallel_authorizations_on_an_account_that_affords_ten_authorize_exactly_ten()
    {
        var accountId = await _ledger.OpenAsync(100m);

        var answers = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => AnswerAsync(_ledger.AuthorizeAsync($"order-{accountId}-{i}", accountId, 10m))));

        Assert.Equal(10, answers.Count(a => a.Status == HttpStatusCode.OK));
        Assert.All(answers.Where(a => a.Status != HttpStatusCode.OK), a => Assert.Equal((HttpStatusCode.UnprocessableEntity, "insufficient-funds"), a));
        Assert.Equal((100m, 100m, 0m, 11L), await _ledger.BalancesAsync(accountId));
        // Available never went negative on the way: replay the audit trail.
        var held = 0m;
        foreach (var e in (await _ledger.HistoryAsync(accountId)).Skip(1))
        {
            Assert.Equal("funds_held", e.GetProperty("type").GetString());
            held += e.GetProperty("data").GetProperty("amount").GetDecimal();
            Assert.True(held <= 100m, $"held {held} of 100");
        }
    }

    [Fact]
    public async Task the_same_authorization_sent_twenty_times_at_once_is_applied_once()
    {
        var accountId = await _ledger.OpenAsync(100m);
        var orderId = NewId("order");

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => AnswerAsync(_ledger.AuthorizeAsync(orderId, accountId, 7m))));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.Status));
        Assert.Equal((100m, 7m, 93m, 2L), await _ledger.BalancesAsync(accountId));
    }

    [Fact]
    public async Task parallel_deposits_with_one_deposit_id_are_applied_once()
    {
        var accountId = await _ledger.OpenAsync(1m);
        var depositId = NewId("dep");

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => AnswerAsync(_ledger.DepositAsync(accountId, 5m, depositId: depositId))));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.Status));
        Assert.Equal((6m, 0m, 6m, 2L), await _ledger.BalancesAsync(accountId));
    }

    [Fact]
    public async Task parallel_captures_and_refunds_keep_the_ledger_total_equal_to_the_deposits()
    {
        var totalBefore = await _ledger.TotalAsync();
        var merchantBefore = await _ledger.BalanceOrZeroAsync("merchant");
        var accounts = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => _ledger.OpenAsync(100m)));
        var orders = accounts.Select(a => (Account: a, Order: NewId("order"))).ToArray();
        foreach (var (account, order) in orders)
        {
            await OkAsync(await _ledger.AuthorizeAsync(order, account, 50m));
        }

        // Every capture twice, all at once, all converging on the merchant account.
        var captures = await Task.WhenAll(orders.SelectMany(o => new[] { o, o }).Select(o => AnswerAsync(_ledger.PostAsync($"payments/{o.Order}/capture"))));
        Assert.All(captures, a => Assert.Equal(HttpStatusCode.OK, a.Status));
        Assert.Equal(totalBefore + 1000m, await _ledger.TotalAsync());
        Assert.Equal(merchantBefore + 500m, await _ledger.BalanceOrZeroAsync("merchant"));

        // Half of them refunded twice each, while the other half is captured once more.
        var refunded = orders.Take(5).ToArray();
        var racing = refunded.SelectMany(o => new[] { $"payments/{o.Order}/refund", $"payments/{o.Order}/refund" })
            .Concat(orders.Skip(5).Select(o => $"payments/{o.Order}/capture"));
        var answers = await Task.WhenAll(racing.Select(path => AnswerAsync(_ledger.PostAsync(path))));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.Status));
        Assert.Equal(totalBefore + 1000m, await _ledger.TotalAsync());
        Assert.Equal(merchantBefore + 250m, await _ledger.BalanceOrZeroAsync("merchant"));
        foreach (var (account, _) in refunded)
        {
            Assert.Equal((100m, 0m, 100m, 4L), await _ledger.BalancesAsync(account));
        }

        foreach (var (account, _) in orders.Skip(5))
        {
            Assert.Equal((50m, 0m, 50m, 3L), await _ledger.BalancesAsync(account));
        }
    }

    [Fact]
    public async Task parallel_transfer_debits_from_one_account_never_take_more_than_it_has()
    {
        var from = await _ledger.OpenAsync(30m);
        var totalBefore = await _ledger.TotalAsync();

        var answers = await Task.WhenAll(Enumerable.Range(0, 10).Select(i =>
            AnswerAsync(_ledger.PostAsync($"transfers/{from}-t{i}/debit", new { from, amount = 10m, currency = "EUR" }))));

        Assert.Equal(3, answers.Count(a => a.Status == HttpStatusCode.OK));
        Assert.Equal((0m, 0m, 0m, 4L), await _ledger.BalancesAsync(from));
        Assert.Equal(totalBefore, await _ledger.TotalAsync());
        var totals = await fixture.App.Api.GetFromJsonAsync<Dictionary<string, decimal>>("ledger/total");
        Assert.True(totals!.ContainsKey("EUR"));
    }
}
