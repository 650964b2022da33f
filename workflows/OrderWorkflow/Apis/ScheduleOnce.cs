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
    /// <returns>The instance's state, and whether this call scheduled it.</returns>
    public static async Task<(WorkflowState State, bool Scheduled)> ScheduleOnceAsync(
        this DaprWorkflowClient workflows, string name, string instanceId, object input, CancellationToken ct)
    {
        if (await workflows.GetWorkflowStateAsync(instanceId, getInputsAndOutputs: true, ct) is { Exists: true } existing)
        {
            return (existing, false);
        }

        var scheduled = true;
        try
        {
            await workflows.ScheduleNewWorkflowAsync(name, instanceId, input);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.AlreadyExists)
        {
            // Two requests raced past the check: the other one started it.
            scheduled = false;
        }

        return ((await workflows.GetWorkflowStateAsync(instanceId, getInputsAndOutputs: true, ct))!, scheduled);
    }
}
