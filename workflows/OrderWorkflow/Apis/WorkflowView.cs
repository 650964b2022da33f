using Dapr.Workflow;

namespace OrderWorkflow.Apis;

/// <summary>A workflow instance as the API shows it: its runtime status, where it is, and how it ended.</summary>
public sealed record WorkflowView<TProgress, TResult>(
    string InstanceId,
    string Status,
    TProgress? Progress,
    TResult? Output,
    string? Failure,
    DateTimeOffset CreatedAt,
    DateTimeOffset LastUpdatedAt)
{
    public static WorkflowView<TProgress, TResult> From(string instanceId, WorkflowState state) => new(
        instanceId,
        state.RuntimeStatus.ToString(),
        state.ReadCustomStatusAs<TProgress>(),
        state.RuntimeStatus == WorkflowRuntimeStatus.Completed ? state.ReadOutputAs<TResult>() : default,
        state.FailureDetails?.ErrorMessage,
        state.CreatedAt,
        state.LastUpdatedAt);
}
