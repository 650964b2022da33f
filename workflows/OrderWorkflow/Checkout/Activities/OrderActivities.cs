using Dapr.Workflow;
using OrderWorkflow.Infrastructure;

namespace OrderWorkflow.Checkout.Activities;

public sealed record OrderReason(string OrderId, string Reason);

/// <summary>The last step: Pending → Confirmed, and <c>order.confirmed.v1</c> through the orders outbox.</summary>
public sealed class ConfirmOrder(ServiceInvoker services) : WorkflowActivity<string, StepResult>
{
    public override Task<StepResult> RunAsync(WorkflowActivityContext context, string orderId) =>
        services.SendAsync(Apps.Orders, HttpMethod.Post, $"orders/{Uri.EscapeDataString(orderId)}/confirm", null, CancellationToken.None);
}

/// <summary>Pending → Cancelled with the reason, and <c>order.cancelled.v1</c> through the orders outbox.</summary>
public sealed class CancelOrder(ServiceInvoker services) : WorkflowActivity<OrderReason, StepResult>
{
    public override Task<StepResult> RunAsync(WorkflowActivityContext context, OrderReason input) =>
        services.SendAsync(Apps.Orders, HttpMethod.Post, $"orders/{Uri.EscapeDataString(input.OrderId)}/cancel", new { reason = input.Reason }, CancellationToken.None);
}

/// <summary>Marks the order for a person to look at: a compensation kept failing and the saga gives up.</summary>
public sealed class FlagOrderForAttention(ServiceInvoker services) : WorkflowActivity<OrderReason, StepResult>
{
    public override Task<StepResult> RunAsync(WorkflowActivityContext context, OrderReason input) =>
        services.SendAsync(Apps.Orders, HttpMethod.Post, $"orders/{Uri.EscapeDataString(input.OrderId)}/attention", new { reason = input.Reason }, CancellationToken.None);
}
