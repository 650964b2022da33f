using Dapr.Workflow;
using OrderWorkflow.Infrastructure;
using OrderWorkflow.Transfers.Activities;

namespace OrderWorkflow.Transfers;

/// <summary>
/// A transfer as banks do it, eventually consistent: debit the source, let the money settle, credit the destination.
/// In between, the transfer is Pending and the money sits in payments' in-flight account, so the ledger's total never
/// moves. A credit that is refused (unknown or closed account) or keeps failing refunds the source.
/// </summary>
public sealed class TransferWorkflow : Workflow<TransferRun, TransferResult>
{
    public const string Name = nameof(TransferWorkflow);

    public override async Task<TransferResult> RunAsync(WorkflowContext context, TransferRun run)
    {
        var transfer = run.Transfer;
        var retry = new WorkflowTaskOptions(run.Retry.ToPolicy());

        context.SetCustomStatus(new TransferProgress("Debiting"));
        var debit = await context.CallActivityAsync<StepResult>(nameof(DebitSource), transfer, retry);
        if (!debit.Succeeded)
        {
            // Nothing moved: no compensation is due.
            context.SetCustomStatus(new TransferProgress(TransferResult.Rejected, debit.Describe()));
            return new TransferResult(transfer.TransferId, TransferResult.Rejected, debit.Describe());
        }

        context.SetCustomStatus(new TransferProgress(TransferProgress.Pending));
        if (run.SettleAfter > TimeSpan.Zero)
        {
            await context.CreateTimer(run.SettleAfter);
        }

        string reason;
        try
        {
            var credit = await context.CallActivityAsync<StepResult>(nameof(CreditDestination), transfer, retry);
            if (credit.Succeeded)
            {
                context.SetCustomStatus(new TransferProgress(TransferResult.Completed));
                return new TransferResult(transfer.TransferId, TransferResult.Completed, null);
            }

            reason = $"credit refused: {credit.Describe()}";
        }
        catch (WorkflowTaskFailedException failure)
        {
            reason = $"credit failed after {run.Retry.MaxAttempts} attempts: {failure.FailureDetails.ErrorMessage}";
        }

        context.SetCustomStatus(new TransferProgress("Refunding", reason));
        // If the refund itself keeps failing the workflow fails with the money in flight, visible in payments and here.
        var refund = await context.CallActivityAsync<StepResult>(nameof(RefundSource), transfer.TransferId, retry);
        if (!refund.Succeeded)
        {
            throw new InvalidOperationException($"transfer {transfer.TransferId}: the refund was refused ({refund.Describe()}) after: {reason}");
        }

        context.SetCustomStatus(new TransferProgress(TransferResult.Refunded, reason));
        return new TransferResult(transfer.TransferId, TransferResult.Refunded, reason);
    }
}
