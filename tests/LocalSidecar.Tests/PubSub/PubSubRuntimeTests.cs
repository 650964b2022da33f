using Dapr.Testing;
using LocalSidecar.Components;
using LocalSidecar.PubSub;
using LocalSidecar.Subscriptions;
using LocalSidecar.Tests.Subscriptions;
using static LocalSidecar.Tests.PubSub.PubSubTestKit;

namespace LocalSidecar.Tests.PubSub;

public sealed class PubSubRuntimeTests(SharedServers servers) : IClassFixture<SharedServers>
{
    [Fact]
    public async Task the_runtime_loads_pubsub_components_and_delivers_to_declarative_and_programmatic_subscriptions()
    {
        var topic = servers.NewRedisKeyPrefix("orders") + "orders";
        await using var app = await RecordingApp.StartAsync($$"""[{"pubsubName":"events","topic":"audit","route":"audit"}]""");
        ComponentDefinition[] components =
        [
            RedisDefinition(servers.Redis, "orders-pubsub"),
            Definition("events", "pubsub.in-memory"),
            Definition("statestore", "state.in-memory"),
        ];
        var declarative = new SubscriptionDefinition("orders-pubsub", topic, [new RouteRule(null, "orders")], null, new Dictionary<string, string>(), null, ["checkout"], SubscriptionSource.Declarative, "orders");
        var elsewhere = declarative with { Topic = "never", Scopes = ["billing"] };

        await using var runtime = await PubSubRuntime.CreateAsync("checkout", components, [], Loggers, TimeProvider.System, CancellationToken.None);
        await runtime.StartSubscriptionsAsync(new SubscriptionManagerOptions("checkout", new AppChannelOptions("127.0.0.1", app.Port, null, TimeSpan.FromSeconds(5))), [declarative, elsewhere], CancellationToken.None);

        await runtime.Publisher.PublishAsync("orders-pubsub", topic, "{}"u8.ToArray(), "application/json", new Dictionary<string, string>(), null, null, CancellationToken.None);
        await runtime.Publisher.PublishAsync("events", "audit", "{}"u8.ToArray(), "application/json", new Dictionary<string, string>(), null, null, CancellationToken.None);
        await EventuallyAsync(() => app.PostsTo("orders").Count == 1 && app.PostsTo("audit").Count == 1, "both subscriptions delivered");

        Assert.Equal(["orders-pubsub", "events"], runtime.Registry.All.Select(c => c.Name));
        Assert.Equal([topic, "audit"], runtime.ActiveSubscriptions.Select(s => s.Topic));
    }

    [Fact]
    public async Task an_unsupported_pubsub_type_stops_start_up_naming_the_file()
    {
        var error = await Assert.ThrowsAsync<ResourceException>(() => PubSubRuntime.CreateAsync(
            "checkout", [Definition("kafka", "pubsub.kafka")], [], Loggers, TimeProvider.System, CancellationToken.None));

        Assert.Equal("/resources/kafka.yaml", error.File);
        Assert.Contains("pubsub.kafka", error.Message);
    }
}
