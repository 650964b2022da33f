using OrderWorkflow.Tests.Infrastructure;

namespace OrderWorkflow.Tests.Checkout;

/// <summary>
/// Infrastructure faults at each step: a service that answers 503 to that one call, through its sidecar, for as long as
/// the rule lasts. A fault that outlasts the retry policy is compensated; one that passes is retried into success.
/// </summary>
public sealed class when_a_service_fails(CheckoutSystem system) : SagaTest(system)
{
    private const decimal Funds = 100m;
    private const int OnHand = 4;

    [Fact]
    public async Task when_inventory_stays_down_the_order_is_cancelled_without_a_charge()
    {
        await System.InjectFaultAsync(System.Inventory, "POST", "^/reservations/");
        var (customer, sku) = await PrepareAsync();

        var saga = await Shop.CheckoutAndWaitAsync(customer, Shop.Line(sku, 1, 10m));

        Assert.Equal("Cancelled", saga.Output!.Outcome);
        await AssertNothingPartialAsync(saga.InstanceId, customer, Funds, sku, OnHand, "reserve stock failed");
        Assert.Null(await Shop.GetPaymentAsync(saga.InstanceId));
    }

    [Fact]
    public async Task when_payments_fails_to_authorize_the_stock_is_released()
    {
        await System.InjectFaultAsync(System.Payments, "POST", "^/payments/[^/]+/authorize$");
        var (customer, sku) = await PrepareAsync();

        var saga = await Shop.CheckoutAndWaitAsync(customer, Shop.Line(sku, 1, 10m));

        Assert.Equal("Cancelled", saga.Output!.Outcome);
        await AssertNothingPartialAsync(saga.InstanceId, customer, Funds, sku, OnHand, "authorize payment failed");
    }

    [Fact]
    public async Task when_payments_fails_to_capture_the_hold_is_voided_and_the_stock_released()
    {
        await System.InjectFaultAsync(System.Payments, "POST", "^/payments/[^/]+/capture$");
        var (customer, sku) = await PrepareAsync();

        var saga = await Shop.CheckoutAndWaitAsync(customer, Shop.Line(sku, 1, 10m));

        Assert.Equal("Cancelled", saga.Output!.Outcome);
        await AssertNothingPartialAsync(saga.InstanceId, customer, Funds, sku, OnHand, "capture payment failed");
        Assert.Equal("Voided", (await Shop.GetPaymentAsync(saga.InstanceId))!.Status);
    }

    [Fact]
    public async Task when_orders_fails_to_confirm_the_captured_payment_is_refunded()
    {
        await System.InjectFaultAsync(System.Orders, "POST", "^/orders/[^/]+/confirm$");
        var (customer, sku) = await PrepareAsync();
        var merchant = await Shop.MerchantBalanceAsync();

        var saga = await Shop.CheckoutAndWaitAsync(customer, Shop.Line(sku, 1, 10m));

        Assert.Equal("Cancelled", saga.Output!.Outcome);
        await AssertNothingPartialAsync(saga.InstanceId, customer, Funds, sku, OnHand, "confirm order failed");
        Assert.Equal("Refunded", (await Shop.GetPaymentAsync(saga.InstanceId))!.Status);
        Assert.Equal(merchant, await Shop.MerchantBalanceAsync());
    }

    [Fact]
    public async Task a_fault_that_passes_within_the_retry_policy_is_retried_into_a_confirmed_order()
    {
        await System.InjectFaultAsync(System.Payments, "POST", "^/payments/[^/]+/capture$", times: CheckoutSystem.RetryMaxAttempts - 1);
        var (customer, sku) = await PrepareAsync();

        var saga = await Shop.CheckoutAndWaitAsync(customer, Shop.Line(sku, 1, 10m));

        Assert.Equal("Confirmed", saga.Output!.Outcome);
        Assert.Equal(CheckoutSystem.RetryMaxAttempts - 1, await System.StrikesAsync(System.Payments));
        Assert.Equal(90m, (await Shop.GetAccountAsync(customer)).Balance);
    }

    [Fact]
    public async Task a_compensation_that_keeps_failing_fails_the_workflow_and_flags_the_order()
    {
        await System.InjectFaultAsync(System.Orders, "POST", "^/orders/[^/]+/confirm$");
        await System.InjectFaultAsync(System.Payments, "POST", "^/payments/[^/]+/refund$");
        var (customer, sku) = await PrepareAsync();

        var saga = await Shop.CheckoutAndWaitAsync(customer, Shop.Line(sku, 1, 10m));

        Assert.Equal("Failed", saga.Status);
        Assert.Contains("needs attention", saga.Failure, StringComparison.Ordinal);
        var order = await Shop.GetOrderAsync(saga.InstanceId);
        Assert.True(order.NeedsAttention);
        Assert.Contains("RefundPayment", order.AttentionReason, StringComparison.Ordinal);
        // What could be undone was: the stock is back; the captured money waits for a person, visibly.
        Assert.Equal(0, (await Shop.GetStockAsync(sku)).Reserved);
        Assert.Equal("Captured", (await Shop.GetPaymentAsync(saga.InstanceId))!.Status);
    }

    private async Task<(string Customer, string Sku)> PrepareAsync() =>
        (await Shop.NewCustomerAsync(Funds), await Shop.NewSkuAsync(OnHand));
}
