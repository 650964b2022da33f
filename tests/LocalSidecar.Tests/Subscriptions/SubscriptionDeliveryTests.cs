using System.Text;
using Dapr.Testing;
using LocalSidecar.Subscriptions;
using StackExchange.Redis;
using static LocalSidecar.Tests.PubSub.PubSubTestKit;

namespace LocalSidecar.Tests.Subscriptions;

/// <summary>End to end over real HTTP and a real redis-server: subscribe, route, deliver, read the answer, retry, dead-letter.</summary>
public sealed class SubscriptionDeliveryTests(SharedServers servers) : IClassFixture<SharedServers>
{
    private const string TraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    private static string TraceId(string traceparent) => traceparent.Split('-')[1];

    private string NewTopic(string name = "orders") => servers.NewRedisKeyPrefix(name) + name;

    private static SubscriptionDefinition Declarative(string topic, string path, string? deadLetterTopic = null, Dictionary<string, string>? metadata = null)
        => new("orders-pubsub", topic, [new RouteRule(null, path)], deadLetterTopic, metadata ?? [], null, [], SubscriptionSource.Declarative, "orders", "/resources/sub.yaml");

    [Fact]
    public async Task the_app_receives_the_cloudevent_on_the_route_its_subscribe_endpoint_chose()
    {
        var topic = NewTopic();
        await using var app = await RecordingApp.StartAsync($$$"""
            [{"pubsubName":"orders-pubsub","topic":"{{{topic}}}","routes":{"rules":[{"match":"event.type == \"order.v2\"","path":"orders/v2"}],"default":"orders"}}]
            """);
        await using var sidecar = await PubSubSidecar.StartAsync("checkout", servers.Redis, app.Port, appApiToken: "app-secret");

        await sidecar.PublishJsonAsync(topic, """{"orderId":1}""", new() { ["cloudevent.type"] = "order.v2" }, TraceParent);
        await sidecar.PublishJsonAsync(topic, """{"orderId":2}""");
        await EventuallyAsync(() => app.Posts.Count == 2, "both events reached the app");

        var subscribeRequest = Assert.Single(app.SubscribeRequests);
        Assert.Equal("checkout", subscribeRequest["dapr-app-id"]);
        Assert.Equal("app-secret", subscribeRequest["dapr-api-token"]);

        var v2 = Assert.Single(app.PostsTo("orders/v2"));
        Assert.Equal("application/cloudevents+json", v2.ContentType);
        Assert.Equal(TraceId(TraceParent), TraceId(v2.Headers["traceparent"])); // same trace; the span is the sidecar's when traced
        Assert.Equal("app-secret", v2.Headers["dapr-api-token"]);
        Assert.Equal("orders-pubsub", v2.Headers["pubsubName"]);
        Assert.Equal(1, (int)v2.CloudEvent["data"]!["orderId"]!);
        Assert.Equal("checkout", (string?)v2.CloudEvent["source"]);
        Assert.Equal(topic, (string?)v2.CloudEvent["topic"]);

        var fallback = Assert.Single(app.PostsTo("orders"));
        Assert.Equal(2, (int)fallback.CloudEvent["data"]!["orderId"]!);
        Assert.Equal("com.dapr.event.sent", (string?)fallback.CloudEvent["type"]);

        var active = Assert.Single(sidecar.Manager.Active);
        Assert.Equal(SubscriptionSource.Programmatic, active.Source);
    }

    [Theory]
    [InlineData(200, """{"status":"SUCCESS"}""")]
    [InlineData(200, """{"status":"RETRY"}""")]
    [InlineData(200, """{"status":"DROP"}""")]
    [InlineData(404, "")]
    [InlineData(500, "")]
    public async Task without_resiliency_each_answer_means_exactly_one_post_and_the_message_is_acknowledged(int status, string body)
    {
        var db = await DatabaseAsync(servers.Redis);
        var topic = NewTopic();
        await using var app = await RecordingApp.StartAsync(null);
        app.Answer = _ => (status, body);
        await using var sidecar = await PubSubSidecar.StartAsync("checkout", servers.Redis, app.Port, [Declarative(topic, "orders")],
            // Long enough that a first post slowed by start-up on a busy machine is not reclaimed as timed out.
            componentMetadata: [("processingTimeout", "2000"), ("redeliverInterval", "100")]);

        await sidecar.PublishJsonAsync(topic, """{"n":1}""");
        await EventuallyAsync(() => app.Posts.Count == 1, "the event reached the app");
        await EventuallyAsync(async () => await PendingCountAsync(db, topic, "checkout") == 0, "the message was acknowledged");
        await Task.Delay(2500); // past processingTimeout and many reclaim rounds: nothing comes back

        Assert.Single(app.Posts);
    }

    [Fact]
    public async Task retries_follow_the_resiliency_policy_and_then_the_event_goes_to_the_dead_letter_topic()
    {
        var db = await DatabaseAsync(servers.Redis);
        var topic = NewTopic();
        var deadTopic = topic + "-dead";
        await using var app = await RecordingApp.StartAsync(null);
        app.Answer = post => post.Path == "orders" ? (500, "") : (200, "");
        await using var sidecar = await PubSubSidecar.StartAsync("checkout", servers.Redis, app.Port,
            [Declarative(topic, "orders", deadLetterTopic: deadTopic), Declarative(deadTopic, "dead")],
            resiliencyYaml: """
                apiVersion: dapr.io/v1alpha1
                kind: Resiliency
                metadata: {name: pubsub}
                spec:
                  policies:
                    retries:
                      twice: {policy: constant, duration: 20ms, maxRetries: 2}
                  targets:
                    components:
                      orders-pubsub:
                        inbound: {retry: twice}
                """);

        await sidecar.PublishJsonAsync(topic, """{"n":7}""");
        await EventuallyAsync(() => app.PostsTo("dead").Count == 1, "the event arrived through the dead-letter topic");
        await EventuallyAsync(async () => await PendingCountAsync(db, topic, "checkout") == 0, "the original was acknowledged");

        var attempts = app.PostsTo("orders");
        Assert.Equal(3, attempts.Count); // one delivery + maxRetries 2
        var original = attempts[0].CloudEvent;
        var deadLettered = app.PostsTo("dead")[0].CloudEvent;
        Assert.Equal((string?)original["id"], (string?)deadLettered["id"]);
        Assert.Equal(topic, (string?)deadLettered["topic"]); // the original event, not a new envelope
        var stored = Assert.Single(await db.StreamRangeAsync(deadTopic));
        Assert.Equal(attempts[0].Body, (byte[])stored["data"]!);
    }

    [Fact]
    public async Task a_dropped_event_goes_to_the_dead_letter_topic_without_retries()
    {
        var db = await DatabaseAsync(servers.Redis);
        var topic = NewTopic();
        var deadTopic = topic + "-dead";
        await using var app = await RecordingApp.StartAsync(null);
        app.Answer = _ => (200, """{"status":"DROP"}""");
        await using var sidecar = await PubSubSidecar.StartAsync("checkout", servers.Redis, app.Port,
            [Declarative(topic, "orders", deadLetterTopic: deadTopic)],
            resiliencyYaml: "apiVersion: dapr.io/v1alpha1\nkind: Resiliency\nmetadata: {name: r}\nspec:\n  policies:\n    retries:\n      DefaultRetryPolicy: {duration: 10ms, maxRetries: 5}");

        await sidecar.PublishJsonAsync(topic, """{"n":1}""");
        await EventuallyAsync(async () => await db.StreamLengthAsync(deadTopic) == 1, "the dropped event was dead-lettered");
        // The sidecar acknowledges the original only after the dead-letter copy is stored (at-least-once),
        // so the acknowledgement may land a moment after the copy is visible.
        await EventuallyAsync(async () => await PendingCountAsync(db, topic, "checkout") == 0, "the original was acknowledged");

        Assert.Single(app.Posts);
    }

    [Fact]
    public async Task a_raw_payload_subscription_gets_the_bytes_as_base64_in_a_cloudevent()
    {
        var topic = NewTopic();
        await using var app = await RecordingApp.StartAsync(null);
        await using var sidecar = await PubSubSidecar.StartAsync("checkout", servers.Redis, app.Port,
            [Declarative(topic, "raw", metadata: new() { ["rawPayload"] = "true" })]);

        await sidecar.Publisher.PublishAsync("orders-pubsub", topic, "not json at all"u8.ToArray(), "text/plain",
            new Dictionary<string, string> { ["rawPayload"] = "true" }, TraceParent, null, CancellationToken.None);
        await EventuallyAsync(() => app.Posts.Count == 1, "the raw event reached the app");

        var post = Assert.Single(app.Posts);
        Assert.Equal("application/cloudevents+json", post.ContentType);
        Assert.Equal("application/octet-stream", (string?)post.CloudEvent["datacontenttype"]);
        Assert.Equal("not json at all", Encoding.UTF8.GetString(Convert.FromBase64String((string)post.CloudEvent["data_base64"]!)));
        // Without an envelope the publisher's trace travels as broker metadata "traceid" (as in daprd), and comes back as the header.
        Assert.Equal(TraceParent, (string?)post.CloudEvent["traceid"]);
        Assert.Equal(TraceId(TraceParent), TraceId(post.Headers["traceparent"]));
    }

    [Fact]
    public async Task an_event_no_route_matches_is_acknowledged_without_a_post()
    {
        var db = await DatabaseAsync(servers.Redis);
        var topic = NewTopic();
        await using var app = await RecordingApp.StartAsync(null);
        var onlyV2 = new SubscriptionDefinition("orders-pubsub", topic, [new RouteRule("event.type == \"order.v2\"", "v2")], null, new Dictionary<string, string>(), null, [], SubscriptionSource.Declarative, "s");
        await using var sidecar = await PubSubSidecar.StartAsync("checkout", servers.Redis, app.Port, [onlyV2]);

        await sidecar.PublishJsonAsync(topic, "{}");
        await EventuallyAsync(async () => (await db.StreamGroupInfoAsync(topic)).Single().EntriesRead == 1, "the event was read");
        await EventuallyAsync(async () => await PendingCountAsync(db, topic, "checkout") == 0, "the unrouted event was acknowledged");

        Assert.Empty(app.Posts);
    }

    [Fact]
    public async Task the_sidecar_waits_for_the_app_port_before_asking_for_subscriptions()
    {
        var topic = NewTopic();
        var port = FreePort.Next();
        var json = $$"""[{"pubsubname":"orders-pubsub","topic":"{{topic}}","route":"late"}]""";
        var appStarting = Task.Run(async () =>
        {
            await Task.Delay(700);
            return await RecordingApp.StartAsync(json, port);
        });

        await using var sidecar = await PubSubSidecar.StartAsync("checkout", servers.Redis, port);
        await using var app = await appStarting;

        Assert.Equal("late", Assert.Single(sidecar.Manager.Active).Rules[0].Path);
    }

    [Fact]
    public async Task an_app_that_never_listens_delays_start_only_up_to_the_port_wait_and_declarative_subscriptions_still_start()
    {
        var topic = NewTopic();
        var started = DateTime.UtcNow;

        await using var sidecar = await PubSubSidecar.StartAsync("checkout", servers.Redis, FreePort.Next(), [Declarative(topic, "orders")], portWait: TimeSpan.FromMilliseconds(300));

        Assert.InRange(DateTime.UtcNow - started, TimeSpan.Zero, TimeSpan.FromSeconds(10));
        Assert.Equal(topic, Assert.Single(sidecar.Manager.Active).Topic);
    }

    [Fact]
    public async Task stopping_lets_a_delivery_in_progress_finish_and_acknowledges_it()
    {
        var db = await DatabaseAsync(servers.Redis);
        var topic = NewTopic();
        await using var app = await RecordingApp.StartAsync(null);
        var release = new ManualResetEventSlim();
        app.Answer = _ =>
        {
            release.Wait(TimeSpan.FromSeconds(10));
            return (200, "");
        };
        var sidecar = await PubSubSidecar.StartAsync("checkout", servers.Redis, app.Port, [Declarative(topic, "orders")]);

        await sidecar.PublishJsonAsync(topic, "{}");
        await EventuallyAsync(() => app.Posts.Count == 1, "the delivery started");
        var stopping = sidecar.Manager.StopAsync(CancellationToken.None);
        await Task.Delay(200);
        Assert.False(stopping.IsCompleted);
        release.Set();
        await stopping;
        await sidecar.DisposeAsync();

        Assert.Equal(0, await PendingCountAsync(db, topic, "checkout"));
    }
}
