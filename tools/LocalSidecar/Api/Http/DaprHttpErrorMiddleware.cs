namespace LocalSidecar.Api.Http;

/// <summary>Turns <see cref="DaprApiException"/> into daprd's HTTP error body: <c>{"errorCode": "...", "message": "..."}</c>.</summary>
public sealed class DaprHttpErrorMiddleware(RequestDelegate next, ILogger<DaprHttpErrorMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (DaprApiException e) when (!context.Response.HasStarted)
        {
            logger.LogDebug(e, "{Method} {Path} failed with {Code}", context.Request.Method, context.Request.Path, e.ErrorCode);
            context.Response.StatusCode = (int)e.HttpStatus;
            await context.Response.WriteAsJsonAsync(new { errorCode = e.ErrorCode, message = e.Message });
        }
    }
}
