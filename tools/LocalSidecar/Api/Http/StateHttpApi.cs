using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LocalSidecar.State;

namespace LocalSidecar.Api.Http;

/// <summary>The HTTP state API (<c>/v1.0/state/{store}</c>), as documented at docs.dapr.io/reference/api/state_api.</summary>
public static class StateHttpApi
{
    public static void MapStateApi(this IEndpointRouteBuilder routes)
    {
        var state = routes.MapGroup("/v1.0/state/{storeName}");
        state.MapGet("/{key}", GetAsync);
        state.MapPost("/", SaveAsync);
        state.MapPut("/", SaveAsync);
        state.MapDelete("/{key}", DeleteAsync);
        state.MapPost("/bulk", BulkGetAsync);
        state.MapPut("/bulk", BulkGetAsync);
        state.MapPost("/transaction", TransactAsync);
        state.MapPut("/transaction", TransactAsync);
    }

    private static async Task<IResult> GetAsync(string storeName, string key, StateService state, CancellationToken ct)
    {
        var item = await state.GetAsync(storeName, key, ct);
        if (item.Data is null)
        {
            return Results.NoContent();
        }

        return new RawStateResult(item.Data, item.ETag, item.Metadata);
    }

    private static async Task<IResult> SaveAsync(string storeName, HttpRequest request, StateService state, CancellationToken ct)
    {
        var body = await ReadJson(request, ct);
        if (body is not JsonArray array)
        {
            throw DaprApiException.Malformed("the body must be a JSON array of state items");
        }

        var query = QueryMetadata(request);
        var items = array.Select((node, i) => ToSaveItem(node, $"[{i}]", query)).ToList();
        await state.SaveAsync(storeName, items, ct);
        return Results.NoContent();
    }

    private static async Task<IResult> DeleteAsync(string storeName, string key, HttpRequest request, StateService state, CancellationToken ct)
    {
        var etag = request.Headers.IfMatch.ToString();
        await state.DeleteAsync(storeName, key, etag, ParseConcurrency(request.Query["concurrency"].ToString(), "concurrency"), ct);
        return Results.NoContent();
    }

    private static async Task<IResult> BulkGetAsync(string storeName, HttpRequest request, StateService state, CancellationToken ct)
    {
        var body = await ReadJson(request, ct) as JsonObject ?? throw DaprApiException.Malformed("the body must be an object with 'keys'");
        if (body["keys"] is not JsonArray keys || keys.Any(k => k is not JsonValue v || v.GetValueKind() != JsonValueKind.String))
        {
            throw DaprApiException.Malformed("'keys' must be an array of strings");
        }

        var items = await state.BulkGetAsync(storeName, keys.Select(k => k!.GetValue<string>()).ToList(), ct);
        var result = new JsonArray();
        foreach (var item in items)
        {
            var entry = new JsonObject { ["key"] = item.Key };
            if (item.Data is not null)
            {
                entry["data"] = DataNode(item.Data);
                entry["etag"] = item.ETag;
            }

            if (item.Metadata.Count > 0)
            {
                entry["metadata"] = new JsonObject(item.Metadata.Select(kv => new KeyValuePair<string, JsonNode?>(kv.Key, kv.Value)));
            }

            result.Add(entry);
        }

        return Results.Content(result.ToJsonString(), "application/json");
    }

    private static async Task<IResult> TransactAsync(string storeName, HttpRequest request, StateService state, CancellationToken ct)
    {
        var body = await ReadJson(request, ct) as JsonObject ?? throw DaprApiException.Malformed("the body must be an object with 'operations'");
        if (body["operations"] is not JsonArray operations)
        {
            throw DaprApiException.Malformed("'operations' must be an array");
        }

        var query = QueryMetadata(request);
        var items = new List<TransactionItem>();
        for (var i = 0; i < operations.Count; i++)
        {
            var op = operations[i] as JsonObject ?? throw DaprApiException.Malformed($"operations[{i}] must be an object");
            var kind = op["operation"]?.GetValue<string>();
            var isDelete = kind switch
            {
                "upsert" => false,
                "delete" => true,
                _ => throw DaprApiException.BadRequest("ERR_NOT_SUPPORTED_STATE_OPERATION", $"operation type {kind} not supported"),
            };
            items.Add(new TransactionItem(isDelete, ToSaveItem(op["request"], $"operations[{i}].request", query)));
        }

        await state.TransactAsync(storeName, items, StringMap(body["metadata"], "metadata"), ct);
        return Results.NoContent();
    }

    private static SaveItem ToSaveItem(JsonNode? node, string path, IReadOnlyDictionary<string, string> queryMetadata)
    {
        var item = node as JsonObject ?? throw DaprApiException.Malformed($"{path} must be an object");
        var key = item["key"] is JsonValue k && k.GetValueKind() == JsonValueKind.String ? k.GetValue<string>() : null;
        if (string.IsNullOrEmpty(key))
        {
            throw DaprApiException.Malformed($"{path}.key is required");
        }

        var metadata = new Dictionary<string, string>(queryMetadata);
        foreach (var (name, text) in StringMap(item["metadata"], $"{path}.metadata"))
        {
            metadata[name] = text;
        }

        var options = item["options"] as JsonObject;
        var concurrency = ParseConcurrency(options?["concurrency"]?.GetValue<string>(), $"{path}.options.concurrency");
        // Values on the HTTP API are JSON documents; daprd stores them as their JSON encoding.
        var value = item["value"] is { } v ? Encoding.UTF8.GetBytes(v.ToJsonString()) : "null"u8.ToArray();
        return new SaveItem(key, new StateValue(value, IsJson: true), item["etag"]?.GetValue<string>(), concurrency, metadata);
    }

    private static Concurrency ParseConcurrency(string? value, string field) => value switch
    {
        null or "" => Concurrency.Unspecified,
        "last-write" => Concurrency.LastWrite,
        "first-write" => Concurrency.FirstWrite,
        _ => throw DaprApiException.BadRequest("ERR_MALFORMED_REQUEST", $"{field} must be 'first-write' or 'last-write', got '{value}'"),
    };

    private static IReadOnlyDictionary<string, string> StringMap(JsonNode? node, string field)
    {
        if (node is null)
        {
            return new Dictionary<string, string>();
        }

        if (node is not JsonObject obj)
        {
            throw DaprApiException.Malformed($"{field} must be an object of strings");
        }

        return obj.ToDictionary(kv => kv.Key, kv => kv.Value is JsonValue value && value.GetValueKind() == JsonValueKind.String
            ? value.GetValue<string>()
            : throw DaprApiException.Malformed($"{field}.{kv.Key} must be a string"));
    }

    internal static Dictionary<string, string> QueryMetadata(HttpRequest request)
        => request.Query.Where(q => q.Key.StartsWith("metadata.", StringComparison.Ordinal))
            .ToDictionary(q => q.Key["metadata.".Length..], q => q.Value.ToString());

    internal static async Task<JsonNode?> ReadJson(HttpRequest request, CancellationToken ct)
    {
        try
        {
            return await JsonNode.ParseAsync(request.Body, cancellationToken: ct);
        }
        catch (JsonException e)
        {
            throw DaprApiException.Malformed(e.Message);
        }
    }

    private static JsonNode? DataNode(byte[] data)
    {
        try
        {
            return JsonNode.Parse(data);
        }
        catch (JsonException)
        {
            return Encoding.UTF8.GetString(data);
        }
    }

    /// <summary>Writes the stored bytes unchanged, with the etag and metadata headers daprd sets.</summary>
    private sealed class RawStateResult(byte[] data, string? etag, IReadOnlyDictionary<string, string> metadata) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/json";
            if (!string.IsNullOrEmpty(etag))
            {
                response.Headers.ETag = etag;
            }

            foreach (var (name, value) in metadata)
            {
                response.Headers["metadata." + name] = value;
            }

            return response.Body.WriteAsync(data).AsTask();
        }
    }
}
