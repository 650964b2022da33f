using System.Text;
using System.Text.Json.Nodes;
using LocalSidecar.PubSub;

namespace LocalSidecar.Tests.PubSub;

public sealed class CloudEventEnvelopeTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 10, 30, 15, TimeSpan.Zero);
    private static readonly Guid Id = Guid.Parse("6f1c9d2e-8a4b-4c3d-9e1f-0a1b2c3d4e5f");
    private const string TraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    private static JsonObject Build(string payload, string? contentType, Dictionary<string, string>? metadata = null, string? traceParent = TraceParent, string? traceState = "k=v")
        => CloudEventEnvelope.Build(
            new CloudEventRequest("orders-pubsub", "orders", "checkout", Encoding.UTF8.GetBytes(payload), contentType, metadata ?? [], traceParent, traceState),
            Now,
            () => Id);

    [Fact]
    public void a_json_payload_is_embedded_as_data_with_the_fields_daprd_writes()
    {
        var envelope = Build("""{"orderId":42,"total":12.50}""", "application/json");

        Assert.Equal(Id.ToString(), (string?)envelope["id"]);
        Assert.Equal("checkout", (string?)envelope["source"]);
        Assert.Equal("com.dapr.event.sent", (string?)envelope["type"]);
        Assert.Equal("1.0", (string?)envelope["specversion"]);
        Assert.Equal("application/json", (string?)envelope["datacontenttype"]);
        Assert.Equal("orders", (string?)envelope["topic"]);
        Assert.Equal("orders-pubsub", (string?)envelope["pubsubname"]);
        Assert.Equal(TraceParent, (string?)envelope["traceparent"]);
        Assert.Equal(TraceParent, (string?)envelope["traceid"]);
        Assert.Equal("k=v", (string?)envelope["tracestate"]);
        Assert.Equal("2026-11-26T10:30:15Z", (string?)envelope["time"]);
        Assert.Equal(42, (int)envelope["data"]!["orderId"]!);
        Assert.Equal("12.50", envelope["data"]!["total"]!.ToJsonString()); // numbers keep their text, as Go's UseNumber does
        Assert.Null(envelope["data_base64"]);
        Assert.Null(envelope["subject"]);
        Assert.Null(envelope["expiration"]);
    }

    [Fact]
    public void a_json_content_type_with_parameters_is_still_json_but_a_json_suffix_type_is_text()
    {
        Assert.IsType<JsonObject>(Build("""{"a":1}""", "application/json; charset=utf-8")["data"]);
        Assert.Equal("""{"a":1}""", (string?)Build("""{"a":1}""", "application/problem+json")["data"]);
    }

    [Fact]
    public void a_binary_payload_is_base64_in_data_base64()
    {
        var envelope = CloudEventEnvelope.Build(
            new CloudEventRequest("p", "t", "app", new byte[] { 0, 1, 254, 255 }, "application/octet-stream", new Dictionary<string, string>(), null, null),
            Now,
            () => Id);

        Assert.Equal("AAH+/w==", (string?)envelope["data_base64"]);
        Assert.Null(envelope["data"]);
        Assert.Equal("", (string?)envelope["traceparent"]);
    }

    [Fact]
    public void a_payload_without_content_type_is_plain_text()
    {
        var envelope = Build("hello", contentType: null);

        Assert.Equal("text/plain", (string?)envelope["datacontenttype"]);
        Assert.Equal("hello", (string?)envelope["data"]);
    }

    [Fact]
    public void a_body_that_claims_json_but_is_not_is_kept_as_text()
    {
        Assert.Equal("{not json", (string?)Build("{not json", "application/json")["data"]);
    }

    [Fact]
    public void cloudevent_metadata_overrides_the_envelope_and_traceparent_beats_traceid()
    {
        var envelope = Build("{}", "application/json", new Dictionary<string, string>
        {
            ["cloudevent.id"] = "my-id",
            ["CloudEvent.Source"] = "my-source", // matched case-insensitively, like daprd's mapstructure decode
            ["cloudevent.type"] = "order.v2",
            ["cloudevent.subject"] = "order/42",
            ["cloudevent.traceid"] = "ignored-because-traceparent-is-set",
            ["cloudevent.traceparent"] = "00-11111111111111111111111111111111-2222222222222222-01",
            ["cloudevent.tracestate"] = "a=b",
        });

        Assert.Equal("my-id", (string?)envelope["id"]);
        Assert.Equal("my-source", (string?)envelope["source"]);
        Assert.Equal("order.v2", (string?)envelope["type"]);
        Assert.Equal("order/42", (string?)envelope["subject"]);
        Assert.Equal("00-11111111111111111111111111111111-2222222222222222-01", (string?)envelope["traceparent"]);
        Assert.Equal("00-11111111111111111111111111111111-2222222222222222-01", (string?)envelope["traceid"]);
        Assert.Equal("a=b", (string?)envelope["tracestate"]);
    }

    [Fact]
    public void an_event_the_publisher_already_wrapped_is_kept_and_only_stamped()
    {
        var envelope = Build(
            """{"id":"pub-1","source":"billing","type":"invoice.paid","specversion":"1.0","time":"2020-01-01T00:00:00Z","data":{"n":1},"traceparent":"old"}""",
            "application/cloudevents+json");

        Assert.Equal("pub-1", (string?)envelope["id"]);
        Assert.Equal("billing", (string?)envelope["source"]);
        Assert.Equal("invoice.paid", (string?)envelope["type"]);
        Assert.Equal("2020-01-01T00:00:00Z", (string?)envelope["time"]);
        Assert.Equal(1, (int)envelope["data"]!["n"]!);
        Assert.Equal("orders", (string?)envelope["topic"]);
        Assert.Equal("orders-pubsub", (string?)envelope["pubsubname"]);
        Assert.Equal(TraceParent, (string?)envelope["traceparent"]);
    }

    [Fact]
    public void an_existing_event_missing_fields_gets_daprs_defaults()
    {
        var envelope = Build("""{"data":"x"}""", "application/cloudevents+json");

        Assert.Equal("Dapr", (string?)envelope["source"]);
        Assert.Equal("com.dapr.event.sent", (string?)envelope["type"]);
        Assert.Equal("1.0", (string?)envelope["specversion"]);
        Assert.Equal("2026-11-26T10:30:15Z", (string?)envelope["time"]);
    }

    [Fact]
    public void a_declared_cloudevent_that_is_not_a_json_object_is_refused()
    {
        var error = Assert.Throws<CloudEventCreationException>(() => Build("[1,2]", "application/cloudevents+json"));
        Assert.Equal("ERR_PUBSUB_CLOUD_EVENTS_SER", error.ErrorCode);
        Assert.Throws<CloudEventCreationException>(() => Build("{broken", "application/cloudevents+json"));
    }

    [Fact]
    public void ttl_metadata_sets_an_expiration_that_delivery_checks()
    {
        var envelope = Build("{}", "application/json", new Dictionary<string, string> { ["ttlInSeconds"] = "60" });

        Assert.Equal("2026-11-26T10:31:15Z", (string?)envelope["expiration"]);
        Assert.False(CloudEventEnvelope.HasExpired(envelope, Now.AddSeconds(59)));
        Assert.True(CloudEventEnvelope.HasExpired(envelope, Now.AddSeconds(61)));
    }

    [Fact]
    public void a_raw_payload_is_wrapped_for_delivery_as_base64_octet_stream()
    {
        var envelope = CloudEventEnvelope.FromRawPayload("raw!"u8, "orders", "orders-pubsub", Id);

        Assert.Equal("application/octet-stream", (string?)envelope["datacontenttype"]);
        Assert.Equal(Convert.ToBase64String("raw!"u8), (string?)envelope["data_base64"]);
        Assert.Equal("Dapr", (string?)envelope["source"]);
        Assert.Equal(Id.ToString(), (string?)envelope["id"]);
    }
}
