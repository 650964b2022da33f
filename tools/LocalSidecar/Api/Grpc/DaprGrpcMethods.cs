using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Proto = Dapr.Client.Autogen.Grpc.v1;

namespace LocalSidecar.Api.Grpc;

/// <summary>
/// Binds <c>dapr.proto.runtime.v1.Dapr</c> to <see cref="DaprGrpcService"/>. The Dapr.Protos package ships only client
/// stubs, so the server methods are declared here from the SDK's own message types: the wire format is then exactly
/// the one the SDK version in use speaks, without copying .proto files.
/// </summary>
public sealed class DaprGrpcMethods : IServiceMethodProvider<DaprGrpcService>
{
    public const string ServiceName = "dapr.proto.runtime.v1.Dapr";

    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<DaprGrpcService> context)
    {
        Unary<Proto.GetStateRequest, Proto.GetStateResponse>(context, "GetState", (s, r, c) => s.GetState(r, c));
        Unary<Proto.GetBulkStateRequest, Proto.GetBulkStateResponse>(context, "GetBulkState", (s, r, c) => s.GetBulkState(r, c));
        Unary<Proto.SaveStateRequest, Empty>(context, "SaveState", (s, r, c) => s.SaveState(r, c));
        Unary<Proto.DeleteStateRequest, Empty>(context, "DeleteState", (s, r, c) => s.DeleteState(r, c));
        Unary<Proto.DeleteBulkStateRequest, Empty>(context, "DeleteBulkState", (s, r, c) => s.DeleteBulkState(r, c));
        Unary<Proto.ExecuteStateTransactionRequest, Empty>(context, "ExecuteStateTransaction", (s, r, c) => s.ExecuteStateTransaction(r, c));
        Unary<Proto.PublishEventRequest, Empty>(context, "PublishEvent", (s, r, c) => s.PublishEvent(r, c));
        Unary<Proto.BulkPublishRequest, Proto.BulkPublishResponse>(context, "BulkPublishEvent", (s, r, c) => s.BulkPublishEvent(r, c));
        Unary<Proto.BulkPublishRequest, Proto.BulkPublishResponse>(context, "BulkPublishEventAlpha1", (s, r, c) => s.BulkPublishEvent(r, c));
        Unary<Proto.GetMetadataRequest, Proto.GetMetadataResponse>(context, "GetMetadata", (s, r, c) => s.GetMetadata(r, c));
        Unary<Proto.SetMetadataRequest, Empty>(context, "SetMetadata", (s, r, c) => s.SetMetadata(r, c));
        Unary<Proto.ShutdownRequest, Empty>(context, "Shutdown", (s, r, c) => s.Shutdown(r, c));
    }

    public static void Unary<TRequest, TResponse>(
        ServiceMethodProviderContext<DaprGrpcService> context,
        string name,
        Func<DaprGrpcService, TRequest, ServerCallContext, Task<TResponse>> handler)
        where TRequest : class, IMessage<TRequest>, new()
        where TResponse : class, IMessage<TResponse>, new()
        => context.AddUnaryMethod(Method<TRequest, TResponse>(ServiceName, name, MethodType.Unary), [], (service, request, call) => handler(service, request, call));

    public static Method<TRequest, TResponse> Method<TRequest, TResponse>(string service, string name, MethodType type)
        where TRequest : class, IMessage<TRequest>, new()
        where TResponse : class, IMessage<TResponse>, new()
        => new(type, service, name, Marshaller<TRequest>(), Marshaller<TResponse>());

    private static Marshaller<T> Marshaller<T>() where T : class, IMessage<T>, new()
    {
        var parser = new MessageParser<T>(() => new T());
        return Marshallers.Create(m => m.ToByteArray(), parser.ParseFrom);
    }
}
