using System.Net;
using OrderWorkflow.Tests.Checkout;
using OrderWorkflow.Tests.Infrastructure;

namespace OrderWorkflow.Tests.Transfers;

public sealed class when_money_is_transferred(CheckoutSystem system) : SagaTest(system)
{
    [Fact]
    public async Task the_transfer_is_pending_between_the_debit_and_the_credit_then_completes()
    {
        var alice = await Shop.NewCustomerAsync(100m);
        var bob = await Shop.NewCustomerAsync(1m);
        var total = await Shop.LedgerTotalAsync();
        var transferId = Guid.NewGuid().ToString();

        using var started = await Shop.StartTransferAsync(transferId, alice, bob, 30m, settleAfter: TimeSpan.FromSeconds(10)); // room for the checks below on a busy machine
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);

        // Pending: the money has left Alice and is not yet with Bob; the ledger total has not moved.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((await Shop.GetTransferAsync(transferId))?.Progress?.Step != "Pending")
        {
            Assert.True(DateTime.UtcNow < deadline, "the transfer never showed as pending");
            await Task.Delay(50);
        }

        Assert.Equal(70m, (await Shop.GetAccountAsync(alice)).Balance);
        Assert.Equal(1m, (await Shop.GetAccountAsync(bob)).Balance);
        Assert.Equal("Debited", (await Shop.GetPaymentTransferAsync(transferId))!.Status);
        Assert.Equal(total, await Shop.LedgerTotalAsync());

        var transfer = await Shop.WaitForTransferAsync(transferId);

        Assert.Equal("Completed", transfer.Output!.Outcome);
        Assert.Equal(70m, (await Shop.GetAccountAsync(alice)).Balance);
        Assert.Equal(31m, (await Shop.GetAccountAsync(bob)).Balance);
        Assert.Equal("Credited", (await Shop.GetPaymentTransferAsync(transferId))!.Status);
        Assert.Equal(total, await Shop.LedgerTotalAsync());
    }

    [Fact]
    public async Task a_credit_to_a_closed_account_refunds_the_source()
    {
        var alice = await Shop.NewCustomerAsync(100m);
        var bob = await Shop.NewCustomerAsync(1m);
        await Shop.EnsureAsync(await Shop.CloseAccountAsync(bob));
        var transferId = Guid.NewGuid().ToString();

        await Shop.EnsureAsync(await Shop.StartTransferAsync(transferId, alice, bob, 30m));
        var transfer = await Shop.WaitForTransferAsync(transferId);

        Assert.Equal("Refunded", transfer.Output!.Outcome);
        Assert.Contains("account-closed", transfer.Output.Reason, StringComparison.Ordinal);
        Assert.Equal(100m, (await Shop.GetAccountAsync(alice)).Balance);
        Assert.Equal(1m, (await Shop.GetAccountAsync(bob)).Balance);
        Assert.Equal("Refunded", (await Shop.GetPaymentTransferAsync(transferId))!.Status);
    }

    [Fact]
    public async Task a_transfer_beyond_the_balance_is_rejected_and_nothing_moves()
    {
        var alice = await Shop.NewCustomerAsync(10m);
        var bob = await Shop.NewCustomerAsync(1m);
        var transferId = Guid.NewGuid().ToString();

        await Shop.EnsureAsync(await Shop.StartTransferAsync(transferId, alice, bob, 30m));
        var transfer = await Shop.WaitForTransferAsync(transferId);

        Assert.Equal("Rejected", transfer.Output!.Outcome);
        Assert.Contains("insufficient-funds", transfer.Output.Reason, StringComparison.Ordinal);
        Assert.Equal(10m, (await Shop.GetAccountAsync(alice)).Balance);
        Assert.Equal(1m, (await Shop.GetAccountAsync(bob)).Balance);
    }
}
