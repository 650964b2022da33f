using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LocalSidecar.PubSub;

/// <summary>What a publish request carries into the envelope daprd builds (gRPC <c>PublishEvent</c>, HTTP <c>/v1.0/publish</c>).</summary>
public sealed record CloudEventRequest(
    string PubsubName,
    string Topic,
    string SourceAppId,
    ReadOnlyMemory<byte> Data,
    string? DataContentType,
    IReadOnlyDictionary<string, string> Metadata,
    string? TraceParent,
    string? TraceState);

/// <summary>
/// Builds the CloudEvent daprd wraps around a published payload (components-contrib <c>pubsub/envelope.go</c> and dapr
/// <c>pkg/runtime/pubsub/cloudevents.go</c>). Pure: the clock and the id source are passed in so tests can pin them.
/// </summary>
public static class CloudEventEnvelope
{
    public const string DefaultType = "com.dapr.event.sent";
    public const string SpecVersion = "1.0";

    /// <summary>The source daprd writes when a field is missing from an event it did not build itself.</summary>
    public const string DefaultSource = "Dapr";

    public static class Fields
    {
        public const string Id = "id";
        public const string Source = "source";
        public const string Type = "type";
        public const string SpecVersion = "specversion";
        public const string DataContentType = "datacontenttype";
        public const string Data = "data";
        public const string DataBase64 = "data_base64";
        public const string Subject = "subject";
        public const string Topic = "topic";
        public const string PubsubName = "pubsubname";
        public const string TraceId = "traceid";
        public const string TraceParent = "traceparent";
        public const string TraceState = "tracestate";
        public const string Time = "time";
        public const string Expiration = "expiration";
    }

    /// <summary>Publish metadata keys that replace envelope fields; daprd matches them case-insensitively (mapstructure WeakDecode).</summary>
    public static class Overrides
    {
        public const string Id = "cloudevent.id";
        public const string Source = "cloudevent.source";
        public const string Type = "cloudevent.type";
        public const string Subject = "cloudevent.subject";
        public const string TraceId = "cloudevent.traceid";
        public const string TraceParent = "cloudevent.traceparent";
        public const string TraceState = "cloudevent.tracestate";
    }

    public static JsonObject Build(CloudEventRequest request, DateTimeOffset now, Func<Guid> newId)
    {
        if (ContentTypes.IsCloudEvent(request.DataContentType))
        {
            return CompleteExisting(request, now);
        }

        var id = Override(request.Metadata, Overrides.Id) ?? newId().ToString();
        var source = Override(request.Metadata, Overrides.Source) ?? NonEmpty(request.SourceAppId) ?? DefaultSource;
        var type = Override(request.Metadata, Overrides.Type) ?? DefaultType;
        var subject = Override(request.Metadata, Overrides.Subject);
        var traceParent = Override(request.Metadata, Overrides.TraceParent)
            ?? Override(request.Metadata, Overrides.TraceId)
            ?? request.TraceParent
            ?? string.Empty;
        var traceState = Override(request.Metadata, Overrides.TraceState) ?? request.TraceState ?? string.Empty;
        var contentType = NonEmpty(request.DataContentType) ?? ContentTypes.TextPlain;

        var envelope = new JsonObject
        {
            [Fields.Id] = id,
            [Fields.SpecVersion] = SpecVersion,
            [Fields.DataContentType] = contentType,
            [Fields.Source] = source,
            [Fields.Type] = type,
            [Fields.Topic] = request.Topic,
            [Fields.PubsubName] = request.PubsubName,
            [Fields.TraceId] = traceParent,
            [Fields.TraceParent] = traceParent,
            [Fields.TraceState] = traceState,
            [Fields.Time] = Rfc3339(now),
        };

        var (field, value) = EmbedData(request.Data, contentType);
        envelope[field] = value;

        if (subject is not null)
        {
            envelope[Fields.Subject] = subject;
        }

        ApplyTtl(envelope, request.Metadata, now);
        return envelope;
    }

    /// <summary>
    /// The event daprd hands to routing and to the app when a subscription asks for <c>rawPayload</c>: the bytes always go
    /// into <c>data_base64</c>, because the subscriber cannot know their real content type.
    /// </summary>
    public static JsonObject FromRawPayload(ReadOnlySpan<byte> data, string topic, string pubsubName, Guid id) => new()
    {
        [Fields.Id] = id.ToString(),
        [Fields.SpecVersion] = SpecVersion,
        [Fields.DataContentType] = ContentTypes.OctetStream,
        [Fields.Source] = DefaultSource,
        [Fields.Type] = DefaultType,
        [Fields.Topic] = topic,
        [Fields.PubsubName] = pubsubName,
        [Fields.DataBase64] = Convert.ToBase64String(data),
    };

    public static bool HasExpired(JsonObject cloudEvent, DateTimeOffset now)
    {
        if (cloudEvent[Fields.Expiration] is not JsonValue value || !value.TryGetValue<string>(out var text) || text.Length == 0)
        {
            return false;
        }

        // daprd ignores an expiration it cannot parse rather than dropping the event.
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var expiration)
            && expiration < now;
    }

    public static string Rfc3339(DateTimeOffset time)
        => time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static JsonObject CompleteExisting(CloudEventRequest request, DateTimeOffset now)
    {
        JsonNode? parsed;
        try
        {
            parsed = JsonNode.Parse(request.Data.Span);
        }
        catch (JsonException e)
        {
            throw new CloudEventCreationException($"the payload published to topic '{request.Topic}' is declared as {ContentTypes.CloudEvent} but is not valid JSON: {e.Message}", e);
        }

        if (parsed is not JsonObject envelope)
        {
            throw new CloudEventCreationException($"the payload published to topic '{request.Topic}' is declared as {ContentTypes.CloudEvent} but is not a JSON object");
        }

        // daprd keeps the publisher's event and only stamps routing and trace fields; trace fields are overwritten even when empty.
        var traceParent = request.TraceParent ?? string.Empty;
        envelope[Fields.TraceId] = traceParent;
        envelope[Fields.TraceParent] = traceParent;
        envelope[Fields.TraceState] = request.TraceState ?? string.Empty;
        envelope[Fields.Topic] = request.Topic;
        envelope[Fields.PubsubName] = request.PubsubName;
        SetIfMissing(envelope, Fields.Time, Rfc3339(now));
        SetIfMissing(envelope, Fields.Source, DefaultSource);
        SetIfMissing(envelope, Fields.Type, DefaultType);
        SetIfMissing(envelope, Fields.SpecVersion, SpecVersion);
        ApplyTtl(envelope, request.Metadata, now);
        return envelope;
    }

    private static (string Field, JsonNode? Value) EmbedData(ReadOnlyMemory<byte> data, string contentType)
    {
        if (ContentTypes.IsJson(contentType))
        {
            try
            {
                return (Fields.Data, JsonNode.Parse(data.Span));
            }
            catch (JsonException)
            {
                // daprd falls back to the text of a body that claims JSON but is not; the publish still succeeds.
                return (Fields.Data, JsonValue.Create(System.Text.Encoding.UTF8.GetString(data.Span)));
            }
        }

        if (ContentTypes.IsBinary(contentType))
        {
            return (Fields.DataBase64, JsonValue.Create(Convert.ToBase64String(data.Span)));
        }

        return (Fields.Data, JsonValue.Create(System.Text.Encoding.UTF8.GetString(data.Span)));
    }

    /// <summary>pubsub.redis has no native message TTL, so daprd writes the expiry into the event and drops it on delivery.</summary>
    private static void ApplyTtl(JsonObject envelope, IReadOnlyDictionary<string, string> metadata, DateTimeOffset now)
    {
        var raw = MetadataFlags.Find(metadata, MetadataFlags.TtlInSeconds);
        if (raw is null || !long.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds) || seconds < 0)
        {
            return;
        }

        envelope[Fields.Expiration] = Rfc3339(now.AddSeconds(seconds));
    }

    private static void SetIfMissing(JsonObject envelope, string field, string value)
    {
        if (envelope[field] is null)
        {
            envelope[field] = value;
        }
    }

    private static string? Override(IReadOnlyDictionary<string, string> metadata, string key) => NonEmpty(MetadataFlags.Find(metadata, key));

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
