using System.Net;
using LocalSidecar.Hosting;

namespace LocalSidecar.Invocation;

/// <summary>
/// Service invocation over HTTP. As in daprd, the call takes two hops: the caller's sidecar finds the callee's
/// sidecar, and the callee's sidecar calls its app, adding <c>dapr-caller-app-id</c> / <c>dapr-callee-app-id</c>
/// and its own <c>APP_API_TOKEN</c>. Status codes, headers and bodies pass through unchanged.
/// </summary>
public sealed class InvocationProxy(SidecarOptions options, NameResolution names, IHttpClientFactory clients, ILogger<InvocationProxy> logger)
{
    public const string InternalPathPrefix = "/v1.0-local/callee";
    public const string CallerHeader = "dapr-caller-app-id";
    public const string CalleeHeader = "dapr-callee-app-id";
    public const string HttpClientName = "invocation";

    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "TE", "Trailer", "Transfer-Encoding", "Upgrade", "Host",
    };

    /// <summary>A call from this sidecar's app (or any local client) to <paramref name="targetAppId"/>.</summary>
    public async Task InvokeAsync(HttpContext context, string targetAppId, string methodPath)
    {
        var appId = targetAppId.Split('.', 2)[0]; // "app.namespace": namespaces are not separated locally
        if (appId == options.AppId)
        {
            await CallAppAsync(context, options.AppId, methodPath);
            return;
        }

        var target = names.Resolve(appId);
        if (target is null)
        {
            await WriteError(context, HttpStatusCode.InternalServerError, "ERR_DIRECT_INVOKE",
                $"failed to invoke, id: {targetAppId}, err: couldn't find service: {targetAppId}");
            return;
        }

        var uri = new Uri($"http://127.0.0.1:{target.HttpPort}{InternalPathPrefix}/{methodPath.TrimStart('/')}{context.Request.QueryString}");
        using var request = CopyRequest(context, uri);
        request.Headers.Remove(CallerHeader);
        request.Headers.TryAddWithoutValidation(CallerHeader, options.AppId);
        if (options.ApiToken is not null)
        {
            request.Headers.TryAddWithoutValidation("dapr-api-token", options.ApiToken);
        }

        if (!await SendAsync(context, request, targetAppId))
        {
            names.Forget(appId);
        }
    }

    /// <summary>The second hop: another sidecar asks this one to call its app.</summary>
    public Task ServeCalleeAsync(HttpContext context, string methodPath)
    {
        var caller = context.Request.Headers[CallerHeader].ToString();
        return CallAppAsync(context, caller.Length > 0 ? caller : options.AppId, methodPath);
    }

    private async Task CallAppAsync(HttpContext context, string callerAppId, string methodPath)
    {
        if (options.AppBaseAddress is not { } app)
        {
            await WriteError(context, HttpStatusCode.InternalServerError, "ERR_DIRECT_INVOKE", "app channel is not initialized");
            return;
        }

        using var request = CopyRequest(context, new Uri(app, methodPath.TrimStart('/') + context.Request.QueryString));
        request.Headers.Remove(CallerHeader);
        request.Headers.Remove(CalleeHeader);
        request.Headers.Remove("dapr-api-token");
        request.Headers.TryAddWithoutValidation(CallerHeader, callerAppId);
        request.Headers.TryAddWithoutValidation(CalleeHeader, options.AppId);
        if (options.AppApiToken is not null)
        {
            request.Headers.TryAddWithoutValidation("dapr-api-token", options.AppApiToken);
        }

        await SendAsync(context, request, options.AppId);
    }

    private static HttpRequestMessage CopyRequest(HttpContext context, Uri target)
    {
        var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), target);
        if (context.Request.ContentLength > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            request.Content = new StreamContent(context.Request.Body);
        }

        foreach (var (name, values) in context.Request.Headers)
        {
            if (HopByHop.Contains(name) || name.Equals("dapr-app-id", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (!request.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values))
            {
                request.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

        return request;
    }

    /// <returns>False when the target could not be reached at all.</returns>
    private async Task<bool> SendAsync(HttpContext context, HttpRequestMessage request, string targetAppId)
    {
        HttpResponseMessage response;
        try
        {
            response = await clients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        }
        catch (HttpRequestException e)
        {
            logger.LogWarning(e, "Invoking {AppId} at {Uri} failed", targetAppId, request.RequestUri);
            await WriteError(context, HttpStatusCode.InternalServerError, "ERR_DIRECT_INVOKE",
                $"failed to invoke, id: {targetAppId}, err: {e.Message}");
            return false;
        }

        using (response)
        {
            context.Response.StatusCode = (int)response.StatusCode;
            foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
            {
                if (!HopByHop.Contains(name))
                {
                    context.Response.Headers[name] = values.ToArray();
                }
            }

            await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
        }

        return true;
    }

    internal static Task WriteError(HttpContext context, HttpStatusCode status, string code, string message)
    {
        context.Response.StatusCode = (int)status;
        return context.Response.WriteAsJsonAsync(new { errorCode = code, message });
    }
}
