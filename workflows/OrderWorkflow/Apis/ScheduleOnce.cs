using Dapr.Workflow;
using Grpc.Core;

namespace OrderWorkflow.Apis;

internal static class ScheduleOnce
{
    /// <summary>
    /// Schedules a workflow unless an instance with this id exists already, in any status. ScheduleNewWorkflowAsync
    /// alone would start a finished instance afresh (as daprd does), so a repeated request, which every caller here
    /// sends at least once, must find the instance first and leave it alone.
    /// </summary>
    /// <returns>
    /// Null when this call scheduled the instance (its state is not read back: the callers answer 202 with where to
    /// look, and a start costs one round trip less); otherwise the state of the instance that was there.
    /// </returns>
    public static async Task<WorkflowState?> ScheduleOnceAsync(
        this DaprWorkflowClient workflows, string name, string instanceId, object input, CancellationToken ct)
    {
        if (await workflows.GetWorkflowStateAsync(instanceId, getInputsAndOutputs: true, ct) is { Exists: true } existing)
        {
            return existing;
        }

        try
        {
            await workflows.ScheduleNewWorkflowAsync(name, instanceId, input);
            return null;
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.AlreadyExists)
        {
            // Two requests raced past the check: the other one started it.
            return await workflows.GetWorkflowStateAsync(instanceId, getInputsAndOutputs: true, ct)
                ?? throw new InvalidOperationException($"workflow {instanceId} already exists, yet has no state");
        }
    }
}
