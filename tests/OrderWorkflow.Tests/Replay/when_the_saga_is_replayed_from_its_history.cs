using System.Text.Json;
using Dapr.DurableTask.Protobuf;
using OrderWorkflow.Checkout;
using OrderWorkflow.Tests.Checkout;
using OrderWorkflow.Tests.Infrastructure;

namespace OrderWorkflow.Tests.Replay;

/// <summary>
/// Determinism, checked the way the runtime relies on it: sagas run for real, then their stored histories are fed back
/// to the same workflow code, which must schedule the same activities with the same inputs and reach the same end.
/// </summary>
public sealed class when_the_saga_is_replayed_from_its_history(CheckoutSystem system) : SagaTest(system)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task a_confirmed_saga_takes_the_same_decisions()
    {
        var saga = await RunAsync(funds: 100m, onHand: 3, quantity: 1, price: 10m);

        var (replay, result) = await ReplayAsync(saga.InstanceId);

        Assert.Equal(["ReserveStock", "AuthorizePayment", "CapturePayment", "ConfirmOrder"], replay.Decisions);
        Assert.Equal(OrderSagaResult.Confirmed, result.Outcome);
    }

    [Fact]
    public async Task a_compensated_saga_takes_the_same_decisions()
    {
        var saga = await RunAsync(funds: 5m, onHand: 3, quantity: 1, price: 10m);

        var (replay, result) = await ReplayAsync(saga.InstanceId);

        Assert.Equal(["ReserveStock", "AuthorizePayment", "VoidPayment", "ReleaseStock", "CancelOrder"], replay.Decisions);
        Assert.Equal(OrderSagaResult.Cancelled, result.Outcome);
        Assert.Contains("insufficient-funds", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_saga_with_retried_faults_takes_the_same_decisions()
    {
        await System.InjectFaultAsync(System.Inventory, "POST", "^/reservations/", times: 2);
        var saga = await RunAsync(funds: 100m, onHand: 3, quantity: 1, price: 10m);

        var (replay, result) = await ReplayAsync(saga.InstanceId);

        Assert.Equal(["ReserveStock", "ReserveStock", "ReserveStock", "AuthorizePayment", "CapturePayment", "ConfirmOrder"], replay.Decisions);
        Assert.Equal(OrderSagaResult.Confirmed, result.Outcome);
    }

    [Fact]
    public async Task a_change_in_the_input_is_caught_as_a_divergence()
    {
        // The replay can fail: the same history with an order above the approval threshold would wait for approval
        // after authorizing, which the recorded run never did.
        var saga = await RunAsync(funds: 100m, onHand: 3, quantity: 1, price: 10m);
        var history = await RecordedHistory.ReadAsync(System.Redis.Endpoint, "order-workflow", saga.InstanceId);
        var run = JsonSerializer.Deserialize<OrderSagaRun>(history.First(e => e.ExecutionStarted is not null).ExecutionStarted.Input, Json)!;
        var tampered = run with { Policy = run.Policy with { ApprovalThreshold = 1m } };

        var divergence = await Assert.ThrowsAsync<ReplayDivergenceException>(() =>
            new OrderSaga().RunAsync(new ReplayContext(OrderSaga.Name, saga.InstanceId, history), tampered));

        Assert.Contains("where the history has CapturePayment", divergence.Message, StringComparison.Ordinal);
    }

    private async Task<Saga> RunAsync(decimal funds, int onHand, int quantity, decimal price)
    {
        var customer = await Shop.NewCustomerAsync(funds);
        var sku = await Shop.NewSkuAsync(onHand);
        return await Shop.CheckoutAndWaitAsync(customer, Shop.Line(sku, quantity, price));
    }

    private async Task<(ReplayContext Replay, OrderSagaResult Result)> ReplayAsync(string instanceId)
    {
        var history = await RecordedHistory.ReadAsync(System.Redis.Endpoint, "order-workflow", instanceId);
        var input = JsonSerializer.Deserialize<OrderSagaRun>(history.First(e => e.ExecutionStarted is not null).ExecutionStarted.Input, Json)!;
        var recorded = JsonSerializer.Deserialize<OrderSagaResult>(history.First(e => e.ExecutionCompleted is not null).ExecutionCompleted.Result, Json)!;
        var replay = new ReplayContext(OrderSaga.Name, instanceId, history);

        var result = await new OrderSaga().RunAsync(replay, input);

        Assert.Equal(recorded, result);
        Assert.Empty(replay.Unconsumed);
        return (replay, result);
    }
}
