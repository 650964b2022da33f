using Dapr.DurableTask.Protobuf;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using LocalSidecar.Api.Grpc;

namespace LocalSidecar.Workflow;

/// <summary>
/// Binds <c>TaskHubSidecarService</c> to <see cref="WorkflowGrpcService"/> from the message types in
/// <c>Dapr.Workflow.Grpc.dll</c>, so the wire format is the one the SDK in use speaks. The proto file has no package:
/// the paths are <c>/TaskHubSidecarService/{Method}</c>, on the same port as the Dapr API, as in daprd. A method not
/// bound here is answered with UNIMPLEMENTED by ASP.NET Core.
/// </summary>
public sealed class WorkflowGrpcMethods : IServiceMethodProvider<WorkflowGrpcService>
{
    public const string ServiceName = "TaskHubSidecarService";

    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<WorkflowGrpcService> context)
    {
        context.AddServerStreamingMethod(Method<GetWorkItemsRequest, WorkItem>("GetWorkItems", MethodType.ServerStreaming), [],
            (service, request, stream, call) => service.GetWorkItems(request, stream, call));
        Unary<Empty, Empty>(context, "Hello", (s, r, c) => s.Hello(r, c));
        // 1.19 workers call the deprecated name; newer ones the new one. Both complete the same turn.
        Unary<WorkflowResponse, CompleteTaskResponse>(context, "CompleteOrchestratorTask", (s, r, c) => s.CompleteWorkflowTask(r, c));
        Unary<WorkflowResponse, CompleteTaskResponse>(context, "CompleteWorkflowTask", (s, r, c) => s.CompleteWorkflowTask(r, c));
        Unary<ActivityResponse, CompleteTaskResponse>(context, "CompleteActivityTask", (s, r, c) => s.CompleteActivityTask(r, c));
        Unary<CreateInstanceRequest, CreateInstanceResponse>(context, "StartInstance", (s, r, c) => s.StartInstance(r, c));
        Unary<GetInstanceRequest, GetInstanceResponse>(context, "GetInstance", (s, r, c) => s.GetInstance(r, c));
        Unary<GetInstanceRequest, GetInstanceResponse>(context, "WaitForInstanceStart", (s, r, c) => s.WaitForInstanceStart(r, c));
        Unary<GetInstanceRequest, GetInstanceResponse>(context, "WaitForInstanceCompletion", (s, r, c) => s.WaitForInstanceCompletion(r, c));
        Unary<RaiseEventRequest, RaiseEventResponse>(context, "RaiseEvent", (s, r, c) => s.RaiseEvent(r, c));
        Unary<TerminateRequest, TerminateResponse>(context, "TerminateInstance", (s, r, c) => s.TerminateInstance(r, c));
        Unary<SuspendRequest, SuspendResponse>(context, "SuspendInstance", (s, r, c) => s.SuspendInstance(r, c));
        Unary<ResumeRequest, ResumeResponse>(context, "ResumeInstance", (s, r, c) => s.ResumeInstance(r, c));
        Unary<PurgeInstancesRequest, PurgeInstancesResponse>(context, "PurgeInstances", (s, r, c) => s.PurgeInstances(r, c));
        Unary<GetInstanceHistoryRequest, GetInstanceHistoryResponse>(context, "GetInstanceHistory", (s, r, c) => s.GetInstanceHistory(r, c));
        Unary<ListInstanceIDsRequest, ListInstanceIDsResponse>(context, "ListInstanceIDs", (s, r, c) => s.ListInstanceIDs(r, c));
        Unary<RerunWorkflowFromEventRequest, RerunWorkflowFromEventResponse>(context, "RerunWorkflowFromEvent", (s, r, c) => s.RerunWorkflowFromEvent(r, c));
    }

    private static void Unary<TRequest, TResponse>(
        ServiceMethodProviderContext<WorkflowGrpcService> context,
        string name,
        Func<WorkflowGrpcService, TRequest, ServerCallContext, Task<TResponse>> handler)
        where TRequest : class, IMessage<TRequest>, new()
        where TResponse : class, IMessage<TResponse>, new()
        => context.AddUnaryMethod(Method<TRequest, TResponse>(name, MethodType.Unary), [], (service, request, call) => handler(service, request, call));

    private static Method<TRequest, TResponse> Method<TRequest, TResponse>(string name, MethodType type)
        where TRequest : class, IMessage<TRequest>, new()
        where TResponse : class, IMessage<TResponse>, new()
        => DaprGrpcMethods.Method<TRequest, TResponse>(ServiceName, name, type);
}
