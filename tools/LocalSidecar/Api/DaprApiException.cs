using System.Net;
using Grpc.Core;

namespace LocalSidecar.Api;

/// <summary>
/// An error as daprd reports it: the same <c>errorCode</c> and message on HTTP, and the same gRPC status code,
/// because SDKs branch on them (<c>TrySaveStateAsync</c> returns false only for <see cref="StatusCode.Aborted"/>).
/// Codes follow dapr/dapr <c>pkg/messages</c>.
/// </summary>
public sealed class DaprApiException(string errorCode, string message, HttpStatusCode httpStatus, StatusCode grpcStatus, Exception? inner = null)
    : Exception(message, inner)
{
    public string ErrorCode { get; } = errorCode;
    public HttpStatusCode HttpStatus { get; } = httpStatus;
    public StatusCode GrpcStatus { get; } = grpcStatus;

    public static DaprApiException StateStoresNotConfigured()
        => new("ERR_STATE_STORE_NOT_CONFIGURED", "state store is not configured", HttpStatusCode.InternalServerError, StatusCode.FailedPrecondition);

    public static DaprApiException StateStoreNotFound(string name)
        => new("ERR_STATE_STORE_NOT_FOUND", $"state store {name} is not found", HttpStatusCode.BadRequest, StatusCode.InvalidArgument);

    public static DaprApiException Malformed(string detail)
        => new("ERR_MALFORMED_REQUEST", $"failed deserializing HTTP body: {detail}", HttpStatusCode.BadRequest, StatusCode.InvalidArgument);

    public static DaprApiException BadRequest(string errorCode, string message)
        => new(errorCode, message, HttpStatusCode.BadRequest, StatusCode.InvalidArgument);

    public static DaprApiException TransactionsNotSupported(string store)
        => new("ERR_STATE_STORE_NOT_SUPPORTED", $"state store {store} doesn't support transaction", HttpStatusCode.InternalServerError, StatusCode.Unimplemented);

    public static DaprApiException PubSubNotFound(string name)
        => new("ERR_PUBSUB_NOT_FOUND", $"pubsub {name} is not found", HttpStatusCode.NotFound, StatusCode.InvalidArgument);

    public static DaprApiException Unauthorized()
        => new("ERR_API_TOKEN", "invalid api token", HttpStatusCode.Unauthorized, StatusCode.Unauthenticated);
}
