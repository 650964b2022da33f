using Dapr.Testing;
using LocalSidecar.PubSub;
using LocalSidecar.PubSub.Redis;
using LocalSidecar.Resiliency;
using LocalSidecar.Subscriptions;
using LocalSidecar.Tests.PubSub;
using Microsoft.Extensions.Logging;

namespace LocalSidecar.Tests.Subscriptions;

/// <summary>The pub/sub half of a sidecar, wired as the host wires it: one pubsub.redis component, publisher, subscriptions.</summary>
internal sealed class PubSubSidecar : IAsyncDisposable
{
    private PubSubSidecar(RedisStreamsPubSub broker, Publisher publisher, SubscriptionManager manager)
    {
        Broker = broker;
        Publisher = publisher;
        Manager = manager;
    }

    public RedisStreamsPubSub Broker { get; }

    public Publisher Publisher { get; }

    public SubscriptionManager Manager { get; }

    public static async Task<PubSubSidecar> StartAsync(
        string appId,
        RedisServer redis,
        int? appPort,
        IReadOnlyList<SubscriptionDefinition>? declarative = null,
        string? resiliencyYaml = null,
        string? appApiToken = null,
        TimeSpan? portWait = null,
        params (string Name, string Value)[] componentMetadata)
    {
        var loggers = PubSubTestKit.Loggers;
        var broker = await PubSubTestKit.StartRedisAsync(redis, "orders-pubsub", componentMetadata);
        var registry = new PubSubRegistry([PubSubComponent.Create(PubSubTestKit.RedisDefinition(redis, "orders-pubsub", componentMetadata), broker, appId)]);
        var resiliency = resiliencyYaml is null
            ? ResiliencyPolicies.None
            : ResiliencyPolicies.Combine([ResiliencyResourceParser.Parse(SubscriptionResourceParserTests.Yaml(resiliencyYaml), "/resources/resiliency.yaml")], appId, loggers);
        var publisher = new Publisher(registry, appId, resiliency, TimeProvider.System, loggers.CreateLogger<Publisher>());
        var channel = appPort is { } port
            ? new AppChannelOptions("127.0.0.1", port, appApiToken, portWait ?? AppChannelOptions.DefaultPortWaitTimeout)
            : null;
        var manager = new SubscriptionManager(new SubscriptionManagerOptions(appId, channel), registry, publisher, declarative ?? [], resiliency, loggers, TimeProvider.System);
        await manager.StartAsync(CancellationToken.None);
        return new PubSubSidecar(broker, publisher, manager);
    }

    public Task PublishJsonAsync(string topic, string json, Dictionary<string, string>? metadata = null, string? traceparent = null)
        => Publisher.PublishAsync("orders-pubsub", topic, System.Text.Encoding.UTF8.GetBytes(json), "application/json", metadata ?? [], traceparent, null, CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        await Manager.DisposeAsync();
        await Broker.DisposeAsync();
    }
}
