using OrderWorkflow.Tests.Infrastructure;

namespace OrderWorkflow.Tests.Checkout;

/// <summary>Every system test starts without faults, whatever the one before it left behind.</summary>
[Collection(CheckoutSystemCollection.Name)]
public abstract class SagaTest(CheckoutSystem system) : IAsyncLifetime
{
    protected CheckoutSystem System { get; } = system;

    protected Shop Shop => System.Shop;

    public virtual Task InitializeAsync() => System.ClearFaultsAsync();

    public virtual Task DisposeAsync() => Task.CompletedTask;

    /// <summary>The state a cancelled order must end in: nothing reserved, nothing held or taken, the order cancelled.</summary>
    protected async Task AssertNothingPartialAsync(string orderId, string customer, decimal funds, string sku, int onHand, string reasonContains)
    {
        var order = await Shop.GetOrderAsync(orderId);
        Assert.Equal("Cancelled", order.Status);
        Assert.Contains(reasonContains, order.CancellationReason, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(["Pending", "Cancelled"], order.History.Select(h => h.Status));
        Assert.False(order.NeedsAttention);

        var stock = await Shop.GetStockAsync(sku);
        Assert.Equal((onHand, 0, onHand), (stock.OnHand, stock.Reserved, stock.Available));

        var account = await Shop.GetAccountAsync(customer);
        Assert.Equal((funds, 0m, funds), (account.Balance, account.Held, account.Available));
        if (await Shop.GetPaymentAsync(orderId) is { } payment)
        {
            Assert.Contains(payment.Status, new[] { "Voided", "Refunded" });
        }
    }
}
