using OrderWorkflow.Tests.Infrastructure;

namespace OrderWorkflow.Tests.Checkout;

/// <summary>
/// At-least-once: the service did the work, but its answer was lost on the way back, so the workflow runs the activity
/// again. Each service must recognise the order id and do nothing the second time.
/// </summary>
public sealed class when_an_activity_runs_twice(CheckoutSystem system) : SagaTest(system)
{
    [Theory]
    [InlineData("inventory", "^/reservations/")]
    [InlineData("payments", "^/payments/[^/]+/authorize$")]
    [InlineData("payments", "^/payments/[^/]+/capture$")]
    [InlineData("orders", "^/orders/[^/]+/confirm$")]
    public async Task the_stock_is_reserved_once_and_the_customer_charged_once(string app, string path)
    {
        var service = app == "inventory" ? System.Inventory : app == "payments" ? System.Payments : System.Orders;
        await System.InjectFaultAsync(service, "POST", path, timing: "After", times: 1);
        var customer = await Shop.NewCustomerAsync(100m);
        var sku = await Shop.NewSkuAsync(5);

        var saga = await Shop.CheckoutAndWaitAsync(customer, Shop.Line(sku, 2, 10m));

        Assert.Equal("Confirmed", saga.Output!.Outcome);
        Assert.Equal(1, await System.StrikesAsync(service));
        Assert.Equal(2, (await Shop.GetStockAsync(sku)).Reserved);
        var account = await Shop.GetAccountAsync(customer);
        Assert.Equal((80m, 0m), (account.Balance, account.Held));
        var order = await Shop.GetOrderAsync(saga.InstanceId);
        Assert.Equal(["Pending", "Confirmed"], order.History.Select(h => h.Status));
    }
}
