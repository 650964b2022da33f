using Dapr.Workflow;
using OrderWorkflow.Infrastructure;

namespace OrderWorkflow.Transfers.Activities;

/// <summary>Moves the amount out of the source account into payments' in-flight account; idempotent per transfer id.</summary>
public sealed class DebitSource(ServiceInvoker services) : WorkflowActivity<TransferRequest, StepResult>
{
    public override Task<StepResult> RunAsync(WorkflowActivityContext context, TransferRequest transfer) =>
        services.SendAsync(Apps.Payments, HttpMethod.Post, Path(transfer.TransferId, "debit"),
            new { from = transfer.From, amount = transfer.Amount, currency = transfer.Currency }, CancellationToken.None);

    internal static string Path(string transferId, string action) => $"transfers/{Uri.EscapeDataString(transferId)}/{action}";
}

/// <summary>Moves the in-flight amount on to the destination account; idempotent per transfer id.</summary>
public sealed class CreditDestination(ServiceInvoker services) : WorkflowActivity<TransferRequest, StepResult>
{
    public override Task<StepResult> RunAsync(WorkflowActivityContext context, TransferRequest transfer) =>
        services.SendAsync(Apps.Payments, HttpMethod.Post, DebitSource.Path(transfer.TransferId, "credit"), new { to = transfer.To }, CancellationToken.None);
}

/// <summary>Compensation of the debit: the in-flight amount goes back to the source account.</summary>
public sealed class RefundSource(ServiceInvoker services) : WorkflowActivity<string, StepResult>
{
    public override Task<StepResult> RunAsync(WorkflowActivityContext context, string transferId) =>
        services.SendAsync(Apps.Payments, HttpMethod.Post, DebitSource.Path(transferId, "refund"), null, CancellationToken.None);
}
