using OrderWorkflow.Tests.Infrastructure;

namespace OrderWorkflow.Tests.Checkout;

/// <summary>Business refusals: not retried, compensated at once, and nothing is left half done.</summary>
public sealed class when_a_step_refuses(CheckoutSystem system) : SagaTest(system)
{
    [Fact]
    public async Task when_the_stock_runs_out_the_order_is_cancelled_and_nothing_is_charged()
    {
        var customer = await Shop.NewCustomerAsync(100m);
        var sku = await Shop.NewSkuAsync(1);

        var saga = await Shop.CheckoutAndWaitAsync(customer, Shop.Line(sku, 2, 10m));

        Assert.Equal("Cancelled", saga.Output!.Outcome);
        await AssertNothingPartialAsync(saga.InstanceId, customer, 100m, sku, 1, "out-of-stock");
        Assert.Null(await Shop.GetPaymentAsync(saga.InstanceId));
        Assert.Equal("Released", (await Shop.GetReservationAsync(saga.InstanceId))!.Status);
    }

    [Fact]
    public async Task when_the_funds_are_insufficient_the_stock_is_released()
    {
        var customer = await Shop.NewCustomerAsync(10m);
        var sku = await Shop.NewSkuAsync(4);

        var saga = await Shop.CheckoutAndWaitAsync(customer, Shop.Line(sku, 1, 25m));

        Assert.Equal("Cancelled", saga.Output!.Outcome);
        await AssertNothingPartialAsync(saga.InstanceId, customer, 10m, sku, 4, "insufficient-funds");
        Assert.Equal("Released", (await Shop.GetReservationAsync(saga.InstanceId))!.Status);
    }

    [Fact]
    public async Task when_the_approver_declines_the_hold_is_voided_and_the_stock_released()
    {
        var customer = await Shop.NewCustomerAsync(1000m);
        var sku = await Shop.NewSkuAsync(2);
        var orderId = Guid.NewGuid().ToString();

        await Shop.EnsureAsync(await Shop.CheckoutAsync(orderId, customer, Shop.Line(sku, 1, 600m)));
        await Shop.WaitForStepAsync(orderId, "AwaitingApproval");
        Assert.Equal(600m, (await Shop.GetAccountAsync(customer)).Held);
        await Shop.ApproveAsync(orderId, approved: false);
        var saga = await Shop.WaitForSagaAsync(orderId);

        Assert.Equal("Cancelled", saga.Output!.Outcome);
        await AssertNothingPartialAsync(orderId, customer, 1000m, sku, 2, "declined");
        Assert.Equal("Voided", (await Shop.GetPaymentAsync(orderId))!.Status);
    }

    [Fact]
    public async Task when_nobody_approves_in_time_the_order_is_cancelled()
    {
        var customer = await Shop.NewCustomerAsync(1000m);
        var sku = await Shop.NewSkuAsync(2);

        var saga = await Shop.CheckoutAndWaitAsync(customer, Shop.Line(sku, 2, 300m));

        Assert.Equal("Cancelled", saga.Output!.Outcome);
        await AssertNothingPartialAsync(saga.InstanceId, customer, 1000m, sku, 2, "timed out");
    }

    [Fact]
    public async Task when_the_approver_approves_the_order_is_confirmed()
    {
        var customer = await Shop.NewCustomerAsync(1000m);
        var sku = await Shop.NewSkuAsync(2);
        var orderId = Guid.NewGuid().ToString();

        await Shop.EnsureAsync(await Shop.CheckoutAsync(orderId, customer, Shop.Line(sku, 1, 600m)));
        await Shop.WaitForStepAsync(orderId, "AwaitingApproval");
        await Shop.ApproveAsync(orderId, approved: true);
        var saga = await Shop.WaitForSagaAsync(orderId);

        Assert.Equal("Confirmed", saga.Output!.Outcome);
        Assert.Equal(400m, (await Shop.GetAccountAsync(customer)).Balance);
    }
}
