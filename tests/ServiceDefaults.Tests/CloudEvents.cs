using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace ServiceDefaults.Tests;

/// <summary>Builds requests the way daprd delivers pub/sub messages.</summary>
internal static class CloudEvents
{
    public const string ContentType = "application/cloudevents+json";

    public static string Envelope(JsonNode data, string type = "com.example.test", string? id = null) =>
        new JsonObject
        {
            ["specversion"] = "1.0",
            ["id"] = id ?? Guid.NewGuid().ToString(),
            ["source"] = "publisher-app",
            ["type"] = type,
            ["topic"] = "behaviour",
            ["pubsubname"] = "pubsub",
            ["datacontenttype"] = "application/json",
            ["traceparent"] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            ["data"] = data,
        }.ToJsonString();

    public static HttpRequestMessage Post(string route, string envelope, string? traceparent = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, route)
        {
            Content = new StringContent(envelope, Encoding.UTF8),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(ContentType);
        if (traceparent is not null)
        {
            request.Headers.Add("traceparent", traceparent);
        }

        return request;
    }
}
