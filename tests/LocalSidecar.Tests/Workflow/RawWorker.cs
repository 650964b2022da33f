using Dapr.DurableTask.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace LocalSidecar.Tests.Workflow;

/// <summary>
/// A workflow worker played by hand over <c>TaskHubSidecarService</c>, for what the SDK hides from a test: exactly what
/// a work item carries, and when the sidecar answers a completion.
/// </summary>
public sealed class RawWorker : IAsyncDisposable
{
    private readonly GrpcChannel _channel;
    private readonly AsyncServerStreamingCall<WorkItem> _stream;

    private RawWorker(GrpcChannel channel, bool statefulHistory)
    {
        _channel = channel;
        Sidecar = new TaskHubSidecarService.TaskHubSidecarServiceClient(channel);
        var request = new GetWorkItemsRequest();
        if (statefulHistory)
        {
            request.Capabilities.Add(WorkerCapability.StatefulHistory);
        }

        _stream = Sidecar.GetWorkItems(request);
    }

    public TaskHubSidecarService.TaskHubSidecarServiceClient Sidecar { get; }

    /// <param name="statefulHistory">Advertise <c>WORKER_CAPABILITY_STATEFUL_HISTORY</c>, as the Dapr.Workflow 1.19 worker does.</param>
    public static RawWorker Connect(string grpcEndpoint, bool statefulHistory) => new(GrpcChannel.ForAddress(grpcEndpoint), statefulHistory);

    /// <summary>The next work item on the stream, health pings skipped.</summary>
    public async Task<WorkItem> NextAsync(CancellationToken ct)
    {
        while (await _stream.ResponseStream.MoveNext(ct))
        {
            if (_stream.ResponseStream.Current.RequestCase != WorkItem.RequestOneofCase.HealthPing)
            {
                return _stream.ResponseStream.Current;
            }
        }

        throw new InvalidOperationException("the work item stream ended");
    }

    public async Task AnswerTurnAsync(WorkItem turn, params WorkflowAction[] actions) =>
        await Sidecar.CompleteWorkflowTaskAsync(new WorkflowResponse
        {
            InstanceId = turn.WorkflowRequest.InstanceId,
            CompletionToken = turn.CompletionToken,
            Actions = { actions },
        }, deadline: Deadline());

    /// <summary>Completes when the sidecar acknowledges the result, which may be after the turn it starts is saved.</summary>
    public async Task CompleteActivityAsync(WorkItem activity, string result) =>
        await Sidecar.CompleteActivityTaskAsync(new ActivityResponse
        {
            InstanceId = activity.ActivityRequest.WorkflowInstance.InstanceId,
            TaskId = activity.ActivityRequest.TaskId,
            Result = result,
            CompletionToken = activity.CompletionToken,
        }, deadline: Deadline());

    /// <summary>A call that hangs fails the test instead of the run.</summary>
    private static DateTime Deadline() => DateTime.UtcNow.AddMinutes(1);

    public static WorkflowAction Schedule(int id, string activity) =>
        new() { Id = id, ScheduleTask = new ScheduleTaskAction { Name = activity, Input = "\"in\"" } };

    public static WorkflowAction Complete(int id, string result) =>
        new() { Id = id, CompleteWorkflow = new CompleteWorkflowAction { WorkflowStatus = OrchestrationStatus.Completed, Result = result } };

    public ValueTask DisposeAsync()
    {
        _stream.Dispose();
        _channel.Dispose();
        return ValueTask.CompletedTask;
    }
}
