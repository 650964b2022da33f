using Dapr.DurableTask.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace LocalSidecar.Workflow;

/// <summary>
/// <c>TaskHubSidecarService</c> as the Dapr.Workflow SDK calls it: the worker's work item stream and completions, and
/// the client's instance management. Each method translates the wire types and delegates to <see cref="WorkflowRuntime"/>;
/// the blocking calls behave as durabletask-go's executor: StartInstance waits until the instance has started (unless it
/// starts later), Terminate until it has finished, Suspend and Resume until it has reached that state.
/// </summary>
public sealed class WorkflowGrpcService(WorkflowRuntime runtime)
{
    public Task<Empty> Hello(Empty request, ServerCallContext context) => Task.FromResult(new Empty());

    public async Task GetWorkItems(GetWorkItemsRequest request, IServerStreamWriter<WorkItem> stream, ServerCallContext context)
    {
        _ = runtime.Store;
        using var serving = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, runtime.Stopping);
        var statefulHistory = request.Capabilities.Contains(WorkerCapability.StatefulHistory);
        await runtime.Dispatcher.StreamAsync(stream, statefulHistory, serving.Token);
    }

    public async Task<CompleteTaskResponse> CompleteWorkflowTask(WorkflowResponse request, ServerCallContext context)
    {
        await runtime.CompleteOrchestratorAsync(request, context.CancellationToken);
        return new CompleteTaskResponse();
    }

    public async Task<CompleteTaskResponse> CompleteActivityTask(ActivityResponse request, ServerCallContext context)
    {
        await runtime.CompleteActivityAsync(request, context.CancellationToken);
        return new CompleteTaskResponse();
    }

    public async Task<CreateInstanceResponse> StartInstance(CreateInstanceRequest request, ServerCallContext context)
        => new() { InstanceId = await runtime.StartInstanceAsync(request, context.CancellationToken) };

    public Task<GetInstanceResponse> GetInstance(GetInstanceRequest request, ServerCallContext context)
        => runtime.GetInstanceAsync(request.InstanceId, request.GetInputsAndOutputs, context.CancellationToken);

    public Task<GetInstanceResponse> WaitForInstanceStart(GetInstanceRequest request, ServerCallContext context)
        => runtime.WaitAsync(request.InstanceId, request.GetInputsAndOutputs, s => s.Status != OrchestrationStatus.Pending, context.CancellationToken);

    public Task<GetInstanceResponse> WaitForInstanceCompletion(GetInstanceRequest request, ServerCallContext context)
        => runtime.WaitAsync(request.InstanceId, request.GetInputsAndOutputs, WorkflowRuntime.IsFinished, context.CancellationToken);

    public async Task<RaiseEventResponse> RaiseEvent(RaiseEventRequest request, ServerCallContext context)
    {
        await runtime.RaiseEventAsync(request, context.CancellationToken);
        return new RaiseEventResponse();
    }

    public async Task<TerminateResponse> TerminateInstance(TerminateRequest request, ServerCallContext context)
    {
        await runtime.TerminateAsync(request, context.CancellationToken);
        return new TerminateResponse();
    }

    public async Task<SuspendResponse> SuspendInstance(SuspendRequest request, ServerCallContext context)
    {
        await runtime.SuspendAsync(request, context.CancellationToken);
        return new SuspendResponse();
    }

    public async Task<ResumeResponse> ResumeInstance(ResumeRequest request, ServerCallContext context)
    {
        await runtime.ResumeAsync(request, context.CancellationToken);
        return new ResumeResponse();
    }

    public async Task<PurgeInstancesResponse> PurgeInstances(PurgeInstancesRequest request, ServerCallContext context)
    {
        if (request.RequestCase != PurgeInstancesRequest.RequestOneofCase.InstanceId)
        {
            throw new RpcException(new Status(StatusCode.Unimplemented, "the local sidecar purges one instance at a time; purging by filter is not implemented"));
        }

        var count = await runtime.PurgeAsync(request.InstanceId, request.Recursive, context.CancellationToken);
        return new PurgeInstancesResponse { DeletedInstanceCount = count, IsComplete = true };
    }

    public Task<GetInstanceHistoryResponse> GetInstanceHistory(GetInstanceHistoryRequest request, ServerCallContext context)
        => runtime.GetHistoryAsync(request.InstanceId, context.CancellationToken);

    public Task<ListInstanceIDsResponse> ListInstanceIDs(ListInstanceIDsRequest request, ServerCallContext context)
        => runtime.ListInstanceIdsAsync(request, context.CancellationToken);

    public Task<RerunWorkflowFromEventResponse> RerunWorkflowFromEvent(RerunWorkflowFromEventRequest request, ServerCallContext context)
        => throw new RpcException(new Status(StatusCode.Unimplemented, "RerunWorkflowFromEvent is not implemented by the local sidecar"));
}
