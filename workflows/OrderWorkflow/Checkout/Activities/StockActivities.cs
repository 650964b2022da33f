using Dapr.Workflow;
using OrderWorkflow.Infrastructure;

namespace OrderWorkflow.Checkout.Activities;

public sealed record ReserveStockInput(string OrderId, IReadOnlyList<StockLine> Lines);

public sealed record StockLine(string Sku, int Quantity);

/// <summary>Reserves every line or none (inventory does it in one transaction); idempotent per order id.</summary>
public sealed class ReserveStock(ServiceInvoker services) : WorkflowActivity<ReserveStockInput, StepResult>
{
    public override Task<StepResult> RunAsync(WorkflowActivityContext context, ReserveStockInput input) =>
        services.SendAsync(Apps.Inventory, HttpMethod.Post, $"reservations/{Uri.EscapeDataString(input.OrderId)}", new { lines = input.Lines }, CancellationToken.None);
}

/// <summary>Compensation of <see cref="ReserveStock"/>: also succeeds when nothing was reserved, leaving a tombstone
/// so that a reservation arriving late for this order is refused.</summary>
public sealed class ReleaseStock(ServiceInvoker services) : WorkflowActivity<string, StepResult>
{
    public override Task<StepResult> RunAsync(WorkflowActivityContext context, string orderId) =>
        services.SendAsync(Apps.Inventory, HttpMethod.Delete, $"reservations/{Uri.EscapeDataString(orderId)}", null, CancellationToken.None);
}
