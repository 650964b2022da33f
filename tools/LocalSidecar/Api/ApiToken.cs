using Grpc.Core;
using Grpc.Core.Interceptors;
using LocalSidecar.Hosting;

namespace LocalSidecar.Api;

/// <summary>
/// When <c>DAPR_API_TOKEN</c> is set, every call must carry it in <c>dapr-api-token</c>, as daprd requires;
/// only the health endpoint stays open so that orchestrators can probe the sidecar.
/// </summary>
public sealed class ApiTokenMiddleware(RequestDelegate next, SidecarOptions options)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (options.ApiToken is null
            || context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true
            || context.Request.Path.StartsWithSegments("/v1.0/healthz")
            || context.Request.Headers["dapr-api-token"] == options.ApiToken)
        {
            return next(context);
        }

        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        return context.Response.WriteAsJsonAsync(new { errorCode = "ERR_API_TOKEN", message = "invalid api token" });
    }
}

public sealed class ApiTokenInterceptor(SidecarOptions options) : Interceptor
{
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(request, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(request, responseStream, context);
    }

    private void Check(ServerCallContext context)
    {
        if (options.ApiToken is not null && context.RequestHeaders.GetValue("dapr-api-token") != options.ApiToken)
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "invalid api token"));
        }
    }
}
