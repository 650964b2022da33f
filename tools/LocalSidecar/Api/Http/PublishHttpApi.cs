using System.Text.Json;
using System.Text.Json.Nodes;
using LocalSidecar.PubSub;

namespace LocalSidecar.Api.Http;

/// <summary>The HTTP publish API (docs.dapr.io/reference/api/pubsub_api): single and bulk.</summary>
public static class PublishHttpApi
{
    public static void MapPublishApi(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/v1.0/publish/{pubsubName}/{**topic}", PublishAsync);
        routes.MapPost("/v1.0-alpha1/publish/bulk/{pubsubName}/{**topic}", BulkPublishAsync);
        routes.MapPost("/v1.0/publish/bulk/{pubsubName}/{**topic}", BulkPublishAsync);
    }

    private static async Task<IResult> PublishAsync(string pubsubName, string? topic, HttpRequest request, PublishService publish, CancellationToken ct)
    {
        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body, ct);
        await publish.PublishAsync(pubsubName, topic ?? "", body.ToArray(), NullIfEmpty(request.ContentType),
            StateHttpApi.QueryMetadata(request), Header(request, "traceparent"), Header(request, "tracestate"), ct);
        return Results.NoContent();
    }

    private static async Task<IResult> BulkPublishAsync(string pubsubName, string? topic, HttpRequest request, PublishService publish, CancellationToken ct)
    {
        if (await StateHttpApi.ReadJson(request, ct) is not JsonArray array)
        {
            throw DaprApiException.Malformed("the body must be a JSON array of entries");
        }

        var entries = new List<BulkPublishEntry>(array.Count);
        for (var i = 0; i < array.Count; i++)
        {
            var entry = array[i] as JsonObject ?? throw DaprApiException.Malformed($"[{i}] must be an object");
            var contentType = entry["contentType"]?.GetValue<string>();
            var @event = entry["event"];
            // A JSON event is sent as its JSON text; a string event with a non-JSON content type as the string itself.
            var bytes = @event is JsonValue value && value.GetValueKind() == JsonValueKind.String && contentType?.Contains("json", StringComparison.OrdinalIgnoreCase) != true
                ? System.Text.Encoding.UTF8.GetBytes(value.GetValue<string>())
                : System.Text.Encoding.UTF8.GetBytes(@event?.ToJsonString() ?? "null");
            var metadata = (entry["metadata"] as JsonObject)?.ToDictionary(kv => kv.Key, kv => kv.Value?.GetValue<string>() ?? "") ?? [];
            entries.Add(new BulkPublishEntry(entry["entryId"]?.GetValue<string>() ?? "", bytes, contentType, metadata));
        }

        var failures = await publish.BulkPublishAsync(pubsubName, topic ?? "", entries, StateHttpApi.QueryMetadata(request),
            Header(request, "traceparent"), Header(request, "tracestate"), ct);
        if (failures.Count == 0)
        {
            return Results.NoContent();
        }

        return Results.Json(new
        {
            failedEntries = failures.Select(f => new { entryId = f.EntryId, error = f.Error.Message }),
            errorCode = "ERR_PUBSUB_PUBLISH_MESSAGE",
        }, statusCode: StatusCodes.Status500InternalServerError);
    }

    private static string? Header(HttpRequest request, string name) => NullIfEmpty(request.Headers[name].ToString());

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
