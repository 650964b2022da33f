using Dapr;

namespace SubscriberApp.Deliveries;

/// <summary>
/// Keeps the exact bytes, content type and headers of requests to topic endpoints, so deliveries can be
/// recorded with the CloudEvent envelope that UseCloudEvents later unwraps.
/// </summary>
public sealed class ReceivedRequestCaptureMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context)
    {
        // Routing has already run, so only subscription endpoints pay for buffering.
        if (context.GetEndpoint()?.Metadata.GetMetadata<ITopicMetadata>() is null)
        {
            await next(context);
            return;
        }

        context.Request.EnableBuffering();
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        context.Request.Body.Position = 0;

        context.Features.Set(new ReceivedRequest(
            buffer.ToArray(),
            context.Request.ContentType,
            ReceivedRequest.SnapshotHeaders(context.Request.Headers)));

        await next(context);
    }
}
