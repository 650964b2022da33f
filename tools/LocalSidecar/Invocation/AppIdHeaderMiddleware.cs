namespace LocalSidecar.Invocation;

/// <summary>
/// daprd treats any request to its HTTP port that carries <c>dapr-app-id</c> and is not a Dapr API path as service
/// invocation of that path, so existing HTTP clients can be pointed at the sidecar by changing only the base address.
/// </summary>
public sealed class AppIdHeaderMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context, InvocationProxy proxy)
    {
        var target = context.Request.Headers["dapr-app-id"].ToString();
        var path = context.Request.Path.Value ?? "/";
        if (target.Length == 0 || path.StartsWith("/v1.0", StringComparison.Ordinal) || path.StartsWith("/v1.0-", StringComparison.Ordinal))
        {
            return next(context);
        }

        return proxy.InvokeAsync(context, target, path);
    }
}
