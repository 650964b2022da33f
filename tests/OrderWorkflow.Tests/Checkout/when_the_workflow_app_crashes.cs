using OrderWorkflow.Tests.Infrastructure;

namespace OrderWorkflow.Tests.Checkout;

/// <summary>The history is durable in the actor state store: a saga survives its app and its sidecar.</summary>
public sealed class when_the_workflow_app_crashes(CheckoutSystem system) : SagaTest(system)
{
    [Fact]
    public async Task a_saga_waiting_for_approval_resumes_after_the_app_and_its_sidecar_restart()
    {
        var customer = await Shop.NewCustomerAsync(1000m);
        var sku = await Shop.NewSkuAsync(1);
        var orderId = Guid.NewGuid().ToString();
        await Shop.EnsureAsync(await Shop.CheckoutAsync(orderId, customer, Shop.Line(sku, 1, 550m)));
        await Shop.WaitForStepAsync(orderId, "AwaitingApproval");

        await System.Workflow.KillAppAsync();
        await System.Workflow.KillSidecarAsync();
        await System.Workflow.StartSidecarAsync();
        await System.Workflow.StartAppAsync();
        await Shop.ApproveAsync(orderId, approved: true);
        var saga = await Shop.WaitForSagaAsync(orderId);

        Assert.Equal("Confirmed", saga.Output!.Outcome);
        Assert.Equal(450m, (await Shop.GetAccountAsync(customer)).Balance);
        Assert.Equal(1, (await Shop.GetStockAsync(sku)).Reserved);
    }

    [Fact]
    public async Task an_app_killed_while_an_activity_is_in_flight_finishes_the_saga_and_charges_once()
    {
        // Capture takes 3 s: long enough to kill the workflow app while payments is still working on it.
        await System.InjectFaultAsync(System.Payments, "POST", "^/payments/[^/]+/capture$", timing: "Delay", times: 1, delayMilliseconds: 3000);
        var customer = await Shop.NewCustomerAsync(100m);
        var sku = await Shop.NewSkuAsync(2);
        var orderId = Guid.NewGuid().ToString();
        await Shop.EnsureAsync(await Shop.CheckoutAsync(orderId, customer, Shop.Line(sku, 2, 15m)));
        await Shop.WaitForStepAsync(orderId, "CapturingPayment");

        await System.Workflow.KillAppAsync();
        await Task.Delay(TimeSpan.FromSeconds(4));
        await System.Workflow.StartAppAsync();
        var saga = await Shop.WaitForSagaAsync(orderId);

        Assert.Equal("Confirmed", saga.Output!.Outcome);
        Assert.Equal(1, await System.StrikesAsync(System.Payments));
        var account = await Shop.GetAccountAsync(customer);
        Assert.Equal((70m, 0m), (account.Balance, account.Held));
        Assert.Equal(2, (await Shop.GetStockAsync(sku)).Reserved);
    }
}
