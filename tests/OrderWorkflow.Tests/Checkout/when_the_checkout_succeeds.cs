using System.Net;
using OrderWorkflow.Tests.Infrastructure;

namespace OrderWorkflow.Tests.Checkout;

public sealed class when_the_checkout_succeeds(CheckoutSystem system) : SagaTest(system)
{
    [Fact]
    public async Task the_order_is_confirmed_with_its_stock_reserved_and_its_payment_captured()
    {
        var customer = await Shop.NewCustomerAsync(100m);
        var sku = await Shop.NewSkuAsync(5);
        var merchant = await Shop.MerchantBalanceAsync();
        var total = await Shop.LedgerTotalAsync();

        var saga = await Shop.CheckoutAndWaitAsync(customer, Shop.Line(sku, 2, 12.50m));

        Assert.Equal("Completed", saga.Status);
        Assert.Equal("Confirmed", saga.Output!.Outcome);
        var order = await Shop.GetOrderAsync(saga.InstanceId);
        Assert.Equal("Confirmed", order.Status);
        Assert.Equal(["Pending", "Confirmed"], order.History.Select(h => h.Status));
        Assert.Equal(25m, order.Total);
        Assert.Equal((5, 2, 3), ((await Shop.GetStockAsync(sku)).OnHand, (await Shop.GetStockAsync(sku)).Reserved, (await Shop.GetStockAsync(sku)).Available));
        var account = await Shop.GetAccountAsync(customer);
        Assert.Equal((75m, 0m), (account.Balance, account.Held));
        Assert.Equal("Captured", (await Shop.GetPaymentAsync(saga.InstanceId))!.Status);
        Assert.Equal(merchant + 25m, await Shop.MerchantBalanceAsync());
        Assert.Equal(total, await Shop.LedgerTotalAsync());
    }

    [Fact]
    public async Task a_repeated_checkout_request_starts_nothing_twice()
    {
        var customer = await Shop.NewCustomerAsync(100m);
        var sku = await Shop.NewSkuAsync(5);
        var orderId = Guid.NewGuid().ToString();
        var line = Shop.Line(sku, 1, 10m);

        var answers = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => Shop.CheckoutAsync(orderId, customer, line)));
        var saga = await Shop.WaitForSagaAsync(orderId);
        using var late = await Shop.CheckoutAsync(orderId, customer, line);

        Assert.All(answers, answer => Assert.Contains(answer.StatusCode, new[] { HttpStatusCode.Accepted, HttpStatusCode.OK }));
        Assert.Single(answers, answer => answer.StatusCode == HttpStatusCode.Accepted);
        Assert.Equal(HttpStatusCode.OK, late.StatusCode);
        Assert.Equal("Confirmed", saga.Output!.Outcome);
        Assert.Equal(1, (await Shop.GetStockAsync(sku)).Reserved);
        Assert.Equal(90m, (await Shop.GetAccountAsync(customer)).Balance);
        Assert.Equal("Completed", (await Shop.GetSagaAsync(orderId))!.Status);
    }

    [Fact]
    public async Task a_checkout_from_the_cart_goes_through_orders_and_ends_confirmed()
    {
        var customer = await Shop.NewCustomerAsync(100m);
        var sku = await Shop.NewSkuAsync(3);
        var orderId = Guid.NewGuid().ToString();
        using (var added = await Shop.AddToCartAsync(customer, Shop.Line(sku, 3, 4.20m)))
        {
            await Shop.EnsureAsync(added);
        }

        using var checkout = await Shop.CheckoutCartAsync(customer, orderId);

        await Shop.EnsureAsync(checkout);
        var saga = await Shop.WaitForSagaAsync(orderId);
        Assert.Equal("Confirmed", saga.Output!.Outcome);
        var order = await Shop.GetOrderAsync(orderId);
        Assert.Equal(12.60m, order.Total);
        Assert.StartsWith("Customer ", order.Customer!.Name, StringComparison.Ordinal);
        Assert.Equal(0, (await Shop.GetStockAsync(sku)).Available);
    }
}
