using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapr;
using Dapr.Client;
using Dapr.Testing;
using Grpc.Core;
using LocalSidecar.Tests.Infrastructure;

namespace LocalSidecar.Tests.Conformance;

/// <summary>
/// Pub/sub end to end with the real SDK: an app publishes through its sidecar, the sidecar reads the app's
/// <c>/dapr/subscribe</c> (Dapr.AspNetCore's <c>MapSubscribeHandler</c>), delivers in daprd's CloudEvent envelope and
/// reads the app's answer as daprd does. The same assertions hold for every broker type.
/// </summary>
public abstract class PubSubConformance : IAsyncLifetime
{
    protected const string PubSub = "pubsub";
    private TestSubscriberApp _app = null!;
    private TestSidecar _sidecar = null!;

    protected DaprClient Dapr => _sidecar.Client;

    protected TestSidecar Sidecar => _sidecar;

    protected HttpClient App => _app.Http;

    protected abstract Task<string> PubSubComponentAsync();

    protected virtual Task DisposeBrokerAsync() => Task.CompletedTask;

    /// <summary>Retries fast, so RETRY and errors are retried three times before the dead-letter topic.</summary>
    private const string Resiliency = """
        apiVersion: dapr.io/v1alpha1
        kind: Resiliency
        metadata:
          name: fast-retries
        spec:
          policies:
            retries:
              threeTimes:
                policy: constant
                duration: 50ms
                maxRetries: 3
          targets:
            components:
              pubsub:
                inbound:
                  retry: threeTimes
        """;

    protected virtual bool WithResiliency => false;

    public async Task InitializeAsync()
    {
        _app = await TestSubscriberApp.StartAsync();
        List<string> resources = [await PubSubComponentAsync()];
        if (WithResiliency)
        {
            resources.Add(Resiliency);
        }

        _sidecar = await TestSidecar.StartAsync("subscriber-" + Guid.NewGuid().ToString("N")[..8], resources, appPort: _app.Port);
        await WaitForSubscriptionsAsync();
    }

    public async Task DisposeAsync()
    {
        await _sidecar.DisposeAsync();
        await _app.DisposeAsync();
        await DisposeBrokerAsync();
    }

    private async Task WaitForSubscriptionsAsync()
    {
        await Eventually.TrueAsync(async () => (await SubscriptionsAsync()).GetArrayLength() >= 4,
            TimeSpan.FromSeconds(20), () => "the sidecar did not load the app's subscriptions");
    }

    /// <summary>The SDK's metadata type has no subscriptions; the HTTP metadata API lists them.</summary>
    protected async Task<JsonElement> SubscriptionsAsync()
        => (await Sidecar.Http.GetFromJsonAsync<JsonElement>("/v1.0/metadata")).GetProperty("subscriptions");

    protected static object Behaviour(string id, string action, int? failTimes = null) => new { id, action, failTimes };

    [Fact]
    public async Task a_published_event_reaches_the_subscriber_in_daprds_cloudevent_envelope()
    {
        await Dapr.PublishEventAsync(PubSub, "behaviour", Behaviour("e1", "success"));

        var delivery = (await Deliveries.WaitForAsync(App, d => d.Any(x => x.Id == "e1"))).Single(x => x.Id == "e1");
        var envelope = delivery.Envelope;

        Assert.Equal("application/cloudevents+json", delivery.ContentType?.Split(';')[0]);
        Assert.True(Guid.TryParse(envelope.GetProperty("id").GetString(), out _));
        Assert.Equal(Sidecar.AppId, envelope.GetProperty("source").GetString());
        Assert.Equal("com.dapr.event.sent", envelope.GetProperty("type").GetString());
        Assert.Equal("1.0", envelope.GetProperty("specversion").GetString());
        Assert.Equal("application/json", envelope.GetProperty("datacontenttype").GetString());
        Assert.Equal("behaviour", envelope.GetProperty("topic").GetString());
        Assert.Equal(PubSub, envelope.GetProperty("pubsubname").GetString());
        Assert.Equal("e1", envelope.GetProperty("data").GetProperty("id").GetString());
        Assert.True(DateTimeOffset.TryParse(envelope.GetProperty("time").GetString(), out _));
        Assert.Equal(1, delivery.Attempt);
    }

    [Fact]
    public async Task a_cloudevent_type_override_routes_by_the_subscriptions_match_rule()
    {
        await Dapr.PublishEventAsync(PubSub, "routed", new { id = "v2" }, new Dictionary<string, string> { ["cloudevent.type"] = "order.v2" });
        await Dapr.PublishEventAsync(PubSub, "routed", new { id = "v1" }, new Dictionary<string, string> { ["cloudevent.type"] = "order.v1" });

        var deliveries = await Deliveries.WaitForAsync(App, d => d.Count(x => x.Topic == "routed") == 2, topic: "routed");

        Assert.Equal("routed/v2", deliveries.Single(d => d.Id == "v2").Route.TrimStart('/'));
        Assert.Equal("routed/default", deliveries.Single(d => d.Id == "v1").Route.TrimStart('/'));
        Assert.Equal("order.v2", deliveries.Single(d => d.Id == "v2").Envelope.GetProperty("type").GetString());
    }

    [Fact]
    public async Task a_drop_answer_sends_the_event_to_the_dead_letter_topic_once()
    {
        await Dapr.PublishEventAsync(PubSub, "behaviour", Behaviour("d1", "drop"));

        var deliveries = await Deliveries.WaitForAsync(App, d => d.Any(x => x.Topic == "behaviour-dead" && x.Id == "d1"));

        Assert.Single(deliveries, d => d.Topic == "behaviour" && d.Id == "d1");
    }

    [Fact]
    public async Task a_404_answer_drops_the_event_to_the_dead_letter_topic_without_retry()
    {
        await Dapr.PublishEventAsync(PubSub, "behaviour", Behaviour("n1", "notfound"));

        var deliveries = await Deliveries.WaitForAsync(App, d => d.Any(x => x.Topic == "behaviour-dead" && x.Id == "n1"));

        Assert.Single(deliveries, d => d.Topic == "behaviour" && d.Id == "n1");
    }

    [Fact]
    public async Task the_http_publish_api_delivers_with_the_senders_traceparent()
    {
        const string traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1.0/publish/{PubSub}/behaviour")
        {
            Content = JsonContent.Create(Behaviour("h1", "success")),
        };
        request.Headers.Add("traceparent", traceparent);
        using var client = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = null }) { BaseAddress = Sidecar.Http.BaseAddress };

        Assert.Equal(HttpStatusCode.NoContent, (await client.SendAsync(request)).StatusCode);

        var delivery = (await Deliveries.WaitForAsync(App, d => d.Any(x => x.Id == "h1"))).Single(x => x.Id == "h1");
        Assert.Equal(traceparent, delivery.Envelope.GetProperty("traceparent").GetString());
        Assert.Contains("4bf92f3577b34da6a3ce929d0e0e4736", delivery.Headers["traceparent"]);
    }

    [Fact]
    public async Task bulk_publish_delivers_every_entry()
    {
        var response = await Dapr.BulkPublishEventAsync(PubSub, "behaviour", new List<object> { Behaviour("b1", "success"), Behaviour("b2", "success") });

        Assert.Empty(response.FailedEntries);
        await Deliveries.WaitForAsync(App, d => d.Any(x => x.Id == "b1") && d.Any(x => x.Id == "b2"));
    }

    [Fact]
    public async Task publishing_to_an_unknown_pubsub_is_refused_with_daprds_codes()
    {
        var error = await Assert.ThrowsAsync<DaprException>(() => Dapr.PublishEventAsync("nope", "behaviour", Behaviour("x", "success")));
        Assert.Equal(StatusCode.InvalidArgument, Assert.IsType<RpcException>(error.InnerException).StatusCode);

        var response = await Sidecar.Http.PostAsJsonAsync("/v1.0/publish/nope/behaviour", Behaviour("x", "success"));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("ERR_PUBSUB_NOT_FOUND", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errorCode").GetString());
    }

    [Fact]
    public async Task metadata_lists_the_apps_subscriptions_with_their_rules()
    {
        var subscriptions = (await SubscriptionsAsync()).EnumerateArray().ToList();

        var routed = subscriptions.Single(s => s.GetProperty("topic").GetString() == "routed");
        Assert.Equal(["event.type == \"order.v2\"", null], routed.GetProperty("rules").EnumerateArray().Select(r => r.GetProperty("match").GetString()));
        Assert.Equal("behaviour-dead", subscriptions.Single(s => s.GetProperty("topic").GetString() == "behaviour").GetProperty("deadLetterTopic").GetString());
    }
}

/// <summary>Without a Resiliency policy daprd posts each message once: a RETRY goes straight to the dead-letter topic.</summary>
public abstract class PubSubWithoutRetriesConformance : PubSubConformance
{
    [Fact]
    public async Task a_retry_answer_without_a_retry_policy_goes_straight_to_the_dead_letter_topic()
    {
        await Dapr.PublishEventAsync(PubSub, "behaviour", Behaviour("r1", "retry"));

        var deliveries = await Deliveries.WaitForAsync(App, d => d.Any(x => x.Topic == "behaviour-dead" && x.Id == "r1"));

        Assert.Single(deliveries, d => d.Topic == "behaviour" && d.Id == "r1");
    }
}

/// <summary>With a retry policy on the component's inbound side, failures are re-posted by the sidecar.</summary>
public abstract class PubSubWithRetriesConformance : PubSubConformance
{
    protected override bool WithResiliency => true;

    [Fact]
    public async Task failures_are_retried_until_the_app_succeeds()
    {
        await Dapr.PublishEventAsync(PubSub, "behaviour", Behaviour("f1", "fail-then-succeed", failTimes: 2));

        var deliveries = await Deliveries.WaitForAsync(App, d => d.Any(x => x.Id == "f1" && x.Attempt == 3));
        await Task.Delay(300); // nothing more may follow a success

        Assert.Equal([1, 2, 3], (await Deliveries.ListAsync(App, "behaviour")).Where(x => x.Id == "f1").Select(x => x.Attempt));
        Assert.DoesNotContain(await Deliveries.ListAsync(App, "behaviour-dead"), x => x.Id == "f1");
    }

    [Fact]
    public async Task when_retries_are_exhausted_the_event_goes_to_the_dead_letter_topic()
    {
        await Dapr.PublishEventAsync(PubSub, "behaviour", Behaviour("x1", "error"));

        var deliveries = await Deliveries.WaitForAsync(App, d => d.Any(x => x.Topic == "behaviour-dead" && x.Id == "x1"));

        Assert.Equal(4, deliveries.Count(d => d.Topic == "behaviour" && d.Id == "x1")); // the first attempt and three retries
    }
}

public static class PubSubComponents
{
    public static string Redis(RedisServer redis) => ComponentYaml.Component("pubsub", "pubsub.redis",
        [("redisHost", redis.Endpoint), ("processingTimeout", "2000"), ("redeliverInterval", "1000")]);

    public static string InMemory() => ComponentYaml.Component("pubsub", "pubsub.in-memory", []);
}

public sealed class RedisPubSubConformance : PubSubWithoutRetriesConformance
{
    private RedisServer? _redis;

    protected override async Task<string> PubSubComponentAsync()
    {
        // Streams are named after topics, so each test class gets its own Redis rather than sharing streams.
        _redis = await RedisServer.StartAsync();
        return PubSubComponents.Redis(_redis);
    }

    protected override async Task DisposeBrokerAsync() => await _redis!.DisposeAsync();
}

public sealed class RedisPubSubWithRetriesConformance : PubSubWithRetriesConformance
{
    private RedisServer? _redis;

    protected override async Task<string> PubSubComponentAsync()
    {
        _redis = await RedisServer.StartAsync();
        return PubSubComponents.Redis(_redis);
    }

    protected override async Task DisposeBrokerAsync() => await _redis!.DisposeAsync();
}

public sealed class InMemoryPubSubConformance : PubSubWithoutRetriesConformance
{
    protected override Task<string> PubSubComponentAsync() => Task.FromResult(PubSubComponents.InMemory());
}

public sealed class InMemoryPubSubWithRetriesConformance : PubSubWithRetriesConformance
{
    protected override Task<string> PubSubComponentAsync() => Task.FromResult(PubSubComponents.InMemory());
}
