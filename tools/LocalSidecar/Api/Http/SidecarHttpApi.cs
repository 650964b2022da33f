using LocalSidecar.Hosting;
using LocalSidecar.Invocation;
using LocalSidecar.State;

namespace LocalSidecar.Api.Http;

/// <summary>Health, metadata and service invocation routes of the HTTP API.</summary>
public static class SidecarHttpApi
{
    public static void MapSidecarApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/v1.0/healthz", () => Results.NoContent());
        routes.MapGet("/v1.0/healthz/outbound", OutboundHealthAsync);
        routes.MapGet("/v1.0/metadata", (SidecarMetadata metadata) => Results.Content(metadata.ToJson().ToJsonString(), "application/json"));
        routes.MapPut("/v1.0/metadata/{key}", async (string key, HttpRequest request, SidecarMetadata metadata) =>
        {
            using var reader = new StreamReader(request.Body);
            metadata.SetExtended(key, await reader.ReadToEndAsync());
            return Results.NoContent();
        });
        routes.MapPost("/v1.0/shutdown", (IHostApplicationLifetime lifetime) =>
        {
            lifetime.StopApplication();
            return Results.NoContent();
        });
        routes.Map("/v1.0/invoke/{appId}/method/{**method}", (HttpContext context, string appId, string? method, InvocationProxy proxy)
            => proxy.InvokeAsync(context, appId, method ?? ""));
        routes.Map(InvocationProxy.InternalPathPrefix + "/{**method}", (HttpContext context, string? method, InvocationProxy proxy)
            => proxy.ServeCalleeAsync(context, method ?? ""));
    }

    /// <summary>daprd answers 204 once its components are ready; here they are initialised before the port opens, so the check is that the stores still answer.</summary>
    private static async Task<IResult> OutboundHealthAsync(StateStoreRegistry stores, CancellationToken ct)
    {
        foreach (var entry in stores.Stores.Values)
        {
            await entry.Store.PingAsync(ct);
        }

        return Results.NoContent();
    }
}
