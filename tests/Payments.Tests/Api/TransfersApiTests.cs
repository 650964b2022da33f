using System.Net;
using Dapr.Testing;
using Payments.Tests.Infrastructure;
using static Payments.Tests.Infrastructure.LedgerClient;

namespace Payments.Tests.Api;

[Collection(SharedServers.Collection)]
public sealed class TransfersApiTests(PaymentsApiFixture fixture) : IClassFixture<PaymentsApiFixture>
{
    private readonly LedgerClient _ledger = new(fixture.App.Api);

    private Task<HttpResponseMessage> DebitAsync(string transferId, string from, decimal amount, string currency = "EUR") =>
        _ledger.PostAsync($"transfers/{transferId}/debit", new { from, amount, currency });

    private Task<HttpResponseMessage> CreditAsync(string transferId, string to) =>
        _ledger.PostAsync($"transfers/{transferId}/credit", new { to });

    [Fact]
    public async Task a_debit_then_credit_moves_the_money_through_transfers_in_flight_each_once()
    {
        var from = await _ledger.OpenAsync(100m);
        var to = await _ledger.OpenAsync(1m);
        var transferId = NewId("transfer");
        var inFlightBefore = await _ledger.BalanceOrZeroAsync("transfers-in-flight");
        var totalBefore = await _ledger.TotalAsync();

        var debited = await OkAsync(await DebitAsync(transferId, from, 60m));
        Assert.Equal(debited.ToString(), (await OkAsync(await DebitAsync(transferId, from, 60m))).ToString());
        Assert.Equal("Debited", debited.GetProperty("status").GetString());
        Assert.Equal("Debited", (await OkAsync(await _ledger.GetAsync($"transfers/{transferId}"))).GetProperty("status").GetString());
        Assert.Equal((40m, 0m, 40m, 2L), await _ledger.BalancesAsync(from));
        Assert.Equal(inFlightBefore + 60m, await _ledger.BalanceOrZeroAsync("transfers-in-flight"));

        var credited = await OkAsync(await CreditAsync(transferId, to));
        Assert.Equal(credited.ToString(), (await OkAsync(await CreditAsync(transferId, to))).ToString());

        Assert.Equal("Credited", credited.GetProperty("status").GetString());
        Assert.Equal(from, credited.GetProperty("from").GetString());
        Assert.Equal(to, credited.GetProperty("to").GetString());
        Assert.Equal(60m, credited.GetProperty("amount").GetDecimal());
        Assert.Equal((61m, 0m, 61m, 2L), await _ledger.BalancesAsync(to));
        Assert.Equal(inFlightBefore, await _ledger.BalanceOrZeroAsync("transfers-in-flight"));
        Assert.Equal(totalBefore, await _ledger.TotalAsync());
        // Credited already: a refund has nothing to give back.
        Assert.Equal("Credited", (await OkAsync(await _ledger.PostAsync($"transfers/{transferId}/refund"))).GetProperty("status").GetString());
        Assert.Equal((40m, 0m, 40m, 2L), await _ledger.BalancesAsync(from));
    }

    [Fact]
    public async Task a_credit_to_a_closed_account_is_refused_and_the_refund_returns_the_money()
    {
        var from = await _ledger.OpenAsync(100m);
        var to = await _ledger.OpenAsync(1m);
        await OkAsync(await _ledger.PostAsync($"accounts/{to}/close"));
        var transferId = NewId("transfer");
        var inFlightBefore = await _ledger.BalanceOrZeroAsync("transfers-in-flight");
        var totalBefore = await _ledger.TotalAsync();
        await OkAsync(await DebitAsync(transferId, from, 25m));

        await ProblemAsync(await CreditAsync(transferId, to), HttpStatusCode.UnprocessableEntity, "account-closed");
        Assert.Equal("Debited", (await OkAsync(await _ledger.GetAsync($"transfers/{transferId}"))).GetProperty("status").GetString());

        var refunded = await OkAsync(await _ledger.PostAsync($"transfers/{transferId}/refund"));
        Assert.Equal(refunded.ToString(), (await OkAsync(await _ledger.PostAsync($"transfers/{transferId}/refund"))).ToString());

        Assert.Equal("Refunded", refunded.GetProperty("status").GetString());
        Assert.Equal((100m, 0m, 100m, 3L), await _ledger.BalancesAsync(from));
        Assert.Equal((1m, 0m, 1m, 2L), await _ledger.BalancesAsync(to));
        Assert.Equal(inFlightBefore, await _ledger.BalanceOrZeroAsync("transfers-in-flight"));
        Assert.Equal(totalBefore, await _ledger.TotalAsync());
        await ProblemAsync(await CreditAsync(transferId, to), HttpStatusCode.Conflict, "transfer-refunded");
    }

    [Fact]
    public async Task a_credit_to_an_unknown_account_is_refused()
    {
        var from = await _ledger.OpenAsync(10m);
        var transferId = NewId("transfer");
        await OkAsync(await DebitAsync(transferId, from, 10m));

        await ProblemAsync(await CreditAsync(transferId, NewId("nobody")), HttpStatusCode.UnprocessableEntity, "unknown-account");

        Assert.Equal("Debited", (await OkAsync(await _ledger.GetAsync($"transfers/{transferId}"))).GetProperty("status").GetString());
    }

    [Fact]
    public async Task a_debit_beyond_the_available_money_or_from_nowhere_is_refused_and_writes_nothing()
    {
        var from = await _ledger.OpenAsync(10m);
        var transferId = NewId("transfer");

        await ProblemAsync(await DebitAsync(transferId, from, 10.5m), HttpStatusCode.UnprocessableEntity, "insufficient-funds");
        await ProblemAsync(await DebitAsync(transferId, NewId("nobody"), 1m), HttpStatusCode.UnprocessableEntity, "unknown-account");

        Assert.Equal((10m, 0m, 10m, 1L), await _ledger.BalancesAsync(from));
        Assert.Equal(HttpStatusCode.NotFound, (await _ledger.GetAsync($"transfers/{transferId}")).StatusCode);
    }

    [Fact]
    public async Task a_refund_before_the_debit_leaves_a_tombstone_and_the_late_debit_is_refused()
    {
        var from = await _ledger.OpenAsync(10m);
        var transferId = NewId("transfer");

        var tombstone = await OkAsync(await _ledger.PostAsync($"transfers/{transferId}/refund"));

        Assert.Equal("Refunded", tombstone.GetProperty("status").GetString());
        await ProblemAsync(await DebitAsync(transferId, from, 5m), HttpStatusCode.Conflict, "transfer-refunded");
        Assert.Equal((10m, 0m, 10m, 1L), await _ledger.BalancesAsync(from));
    }

    [Fact]
    public async Task a_credit_before_the_debit_is_refused()
    {
        var to = await _ledger.OpenAsync(10m);

        await ProblemAsync(await CreditAsync(NewId("transfer"), to), HttpStatusCode.Conflict, "not-debited");

        Assert.Equal((10m, 0m, 10m, 1L), await _ledger.BalancesAsync(to));
    }

    [Theory]
    [InlineData("transfers-in-flight")]
    [InlineData("merchant")]
    public async Task the_ledgers_own_accounts_take_part_in_no_transfer(string systemAccount)
    {
        var account = await _ledger.OpenAsync(10m);
        var transferId = NewId("transfer");

        await ProblemAsync(await DebitAsync(NewId("transfer"), systemAccount, 1m), HttpStatusCode.UnprocessableEntity, "system-account");
        await OkAsync(await DebitAsync(transferId, account, 1m));
        await ProblemAsync(await CreditAsync(transferId, systemAccount), HttpStatusCode.UnprocessableEntity, "system-account");

        Assert.Equal("Debited", (await OkAsync(await _ledger.GetAsync($"transfers/{transferId}"))).GetProperty("status").GetString());
    }
}
