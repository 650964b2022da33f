using System.Net;
using Grpc.Core;
using LocalSidecar.Api;

namespace LocalSidecar.PubSub;

/// <summary>The publish half of the pub/sub API shared by gRPC and HTTP: daprd's status codes for each refusal.</summary>
public sealed class PublishService(Publisher publisher)
{
    public async Task PublishAsync(string pubsubName, string topic, ReadOnlyMemory<byte> data, string? contentType,
        IReadOnlyDictionary<string, string> metadata, string? traceparent, string? tracestate, CancellationToken ct)
    {
        try
        {
            await publisher.PublishAsync(pubsubName, topic, data, contentType, metadata, traceparent, tracestate, ct);
        }
        catch (PubSubException e)
        {
            throw ToApiError(e);
        }
    }

    public async Task<IReadOnlyList<BulkPublishFailure>> BulkPublishAsync(string pubsubName, string topic, IReadOnlyList<BulkPublishEntry> entries,
        IReadOnlyDictionary<string, string> metadata, string? traceparent, string? tracestate, CancellationToken ct)
    {
        try
        {
            return await publisher.BulkPublishAsync(pubsubName, topic, entries, metadata, traceparent, tracestate, ct);
        }
        catch (PubSubException e)
        {
            throw ToApiError(e);
        }
    }

    /// <summary>dapr/dapr pkg/messages: the HTTP and gRPC codes daprd answers each publish refusal with.</summary>
    public static DaprApiException ToApiError(PubSubException e) => e switch
    {
        PubSubNameEmptyException or PubSubNotFoundException or TopicNameEmptyException
            => new(e.ErrorCode, e.Message, HttpStatusCode.NotFound, StatusCode.InvalidArgument, e),
        TopicForbiddenException => new(e.ErrorCode, e.Message, HttpStatusCode.Forbidden, StatusCode.PermissionDenied, e),
        CloudEventCreationException => new(e.ErrorCode, e.Message, HttpStatusCode.BadRequest, StatusCode.InvalidArgument, e),
        _ => new(e.ErrorCode, e.Message, HttpStatusCode.InternalServerError, StatusCode.Internal, e),
    };
}
