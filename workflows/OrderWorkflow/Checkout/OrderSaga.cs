using System.Globalization;
using Dapr.Workflow;
using Microsoft.Extensions.Logging;
using OrderWorkflow.Checkout.Activities;
using OrderWorkflow.Infrastructure;

namespace OrderWorkflow.Checkout;

/// <summary>
/// Checkout as a saga: reserve stock → authorize payment → (approval above the threshold) → capture → confirm.
/// It ends in one of two clean states: Confirmed with stock reserved and payment captured, or Cancelled with every
/// partial effect undone. A business refusal is not retried; a fault is, by the retry policy, and compensated once
/// the retries are spent. A compensation that keeps failing flags the order for attention and fails the workflow.
/// </summary>
/// <remarks>
/// Deterministic by construction: the code reads only its input, activity results and events from its history, and
/// the clock through <see cref="WorkflowContext.CurrentUtcDateTime"/>; every call to another service is an activity.
/// </remarks>
public sealed class OrderSaga : Workflow<OrderSagaRun, OrderSagaResult>
{
    public const string Name = nameof(OrderSaga);
    public const string PaymentApprovedEvent = "payment-approved";

    public override async Task<OrderSagaResult> RunAsync(WorkflowContext context, OrderSagaRun run)
    {
        var order = run.Order;
        var logger = context.CreateReplaySafeLogger<OrderSaga>();
        var retry = new WorkflowTaskOptions(run.Policy.Retry.ToPolicy());
        var compensations = new Compensations();
        var step = "";

        try
        {
            step = "reserve stock";
            context.SetCustomStatus(new SagaProgress("ReservingStock"));
            compensations.Register(nameof(ReleaseStock), order.OrderId);
            var reservation = await context.CallActivityAsync<StepResult>(nameof(ReserveStock),
                new ReserveStockInput(order.OrderId, order.Lines.Select(line => new StockLine(line.Sku, line.Quantity)).ToList()), retry);
            if (!reservation.Succeeded)
            {
                return await CompensateAsync(context, run, compensations, $"stock not reserved: {reservation.Describe()}", logger);
            }

            step = "authorize payment";
            context.SetCustomStatus(new SagaProgress("AuthorizingPayment"));
            compensations.Register(nameof(VoidPayment), order.OrderId);
            var authorization = await context.CallActivityAsync<StepResult>(nameof(AuthorizePayment),
                new AuthorizePaymentInput(order.OrderId, order.PaymentAccountId, order.Total, order.Currency), retry);
            if (!authorization.Succeeded)
            {
                return await CompensateAsync(context, run, compensations, $"payment not authorized: {authorization.Describe()}", logger);
            }

            if (order.Total > run.Policy.ApprovalThreshold)
            {
                step = "wait for approval";
                context.SetCustomStatus(new SagaProgress("AwaitingApproval"));
                if (await WaitForApprovalAsync(context, run) is { } refusal)
                {
                    return await CompensateAsync(context, run, compensations, refusal, logger);
                }
            }

            step = "capture payment";
            context.SetCustomStatus(new SagaProgress("CapturingPayment"));
            compensations.Register(nameof(RefundPayment), order.OrderId);
            var capture = await context.CallActivityAsync<StepResult>(nameof(CapturePayment), order.OrderId, retry);
            if (!capture.Succeeded)
            {
                return await CompensateAsync(context, run, compensations, $"payment not captured: {capture.Describe()}", logger);
            }

            step = "confirm order";
            context.SetCustomStatus(new SagaProgress("ConfirmingOrder"));
            var confirmation = await context.CallActivityAsync<StepResult>(nameof(ConfirmOrder), order.OrderId, retry);
            if (!confirmation.Succeeded)
            {
                return await CompensateAsync(context, run, compensations, $"order not confirmed: {confirmation.Describe()}", logger);
            }

            context.SetCustomStatus(new SagaProgress(OrderSagaResult.Confirmed));
            logger.LogInformation("Order {OrderId} confirmed", order.OrderId);
            return new OrderSagaResult(order.OrderId, OrderSagaResult.Confirmed, null);
        }
        catch (WorkflowTaskFailedException failure)
        {
            // The retry policy is spent: the service stayed unreachable or kept failing. Undo what may have happened.
            return await CompensateAsync(context, run, compensations,
                $"{step} failed after {run.Policy.Retry.MaxAttempts} attempts: {failure.FailureDetails.ErrorMessage}", logger);
        }
    }

    /// <returns>Null when approved; otherwise why not.</returns>
    private static async Task<string?> WaitForApprovalAsync(WorkflowContext context, OrderSagaRun run)
    {
        try
        {
            var approval = await context.WaitForExternalEventAsync<PaymentApproval>(PaymentApprovedEvent, run.Policy.ApprovalTimeout);
            return approval.Approved ? null : $"payment approval declined{(approval.By is null ? "" : " by " + approval.By)}{(approval.Comment is null ? "" : ": " + approval.Comment)}";
        }
        catch (OperationCanceledException)
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"payment approval timed out after {run.Policy.ApprovalTimeout.TotalSeconds:0.###} s (orders above {run.Policy.ApprovalThreshold} {run.Order.Currency} need one)");
        }
    }

    /// <summary>
    /// Runs every registered compensation, latest first, then cancels the order with the reason. A compensation that
    /// fails even after retries does not stop the others (undo as much as possible); the order is then flagged for
    /// attention and the workflow fails, so the failure is visible rather than swallowed.
    /// </summary>
    private static async Task<OrderSagaResult> CompensateAsync(
        WorkflowContext context, OrderSagaRun run, Compensations compensations, string reason, ILogger logger)
    {
        var orderId = run.Order.OrderId;
        var retry = new WorkflowTaskOptions(run.Policy.Retry.ToPolicy());
        context.SetCustomStatus(new SagaProgress("Compensating", reason));
        logger.LogWarning("Order {OrderId}: compensating because {Reason}", orderId, reason);

        var failures = new List<string>();
        foreach (var compensation in compensations.InReverseOrder())
        {
            failures.AddRange(await TryAsync(context, compensation.Activity, compensation.Input, retry));
        }

        failures.AddRange(await TryAsync(context, nameof(CancelOrder), new OrderReason(orderId, reason), retry));
        if (failures.Count == 0)
        {
            context.SetCustomStatus(new SagaProgress(OrderSagaResult.Cancelled, reason));
            return new OrderSagaResult(orderId, OrderSagaResult.Cancelled, reason);
        }

        var attention = $"compensation failed ({string.Join("; ", failures)}) after: {reason}";
        context.SetCustomStatus(new SagaProgress("NeedsAttention", attention));
        logger.LogError("Order {OrderId} needs attention: {Reason}", orderId, attention);
        var flagged = await TryAsync(context, nameof(FlagOrderForAttention), new OrderReason(orderId, attention), retry);
        throw new SagaCompensationFailedException(orderId, attention + (flagged.Count == 0 ? "" : $"; and flagging the order failed: {flagged[0]}"));
    }

    /// <returns>Empty when the activity succeeded; else what went wrong, for the attention reason.</returns>
    private static async Task<IReadOnlyList<string>> TryAsync(WorkflowContext context, string activity, object input, WorkflowTaskOptions retry)
    {
        try
        {
            var result = await context.CallActivityAsync<StepResult>(activity, input, retry);
            return result.Succeeded ? [] : [$"{activity} refused: {result.Describe()}"];
        }
        catch (WorkflowTaskFailedException failure)
        {
            return [$"{activity} failed: {failure.FailureDetails.ErrorMessage}"];
        }
    }
}

/// <summary>Fails the workflow: the order could not be brought back to a clean state and is flagged for a person.</summary>
public sealed class SagaCompensationFailedException(string orderId, string reason)
    : Exception($"order {orderId} needs attention: {reason}");
