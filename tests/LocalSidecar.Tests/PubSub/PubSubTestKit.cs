using Dapr.Testing;
using LocalSidecar.Components;
using LocalSidecar.PubSub;
using LocalSidecar.PubSub.Redis;
using LocalSidecar.Resiliency;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace LocalSidecar.Tests.PubSub;

/// <summary>Builds real pub/sub components for tests: definitions as the resource loader would produce them.</summary>
internal static class PubSubTestKit
{
    public static ILoggerFactory Loggers { get; } = NullLoggerFactory.Instance;

    public static ComponentDefinition Definition(string name, string type, params (string Name, string Value)[] metadata)
        => new(name, type, "v1", new ComponentMetadata(metadata.ToDictionary(m => m.Name, m => m.Value), $"/resources/{name}.yaml", name), [], $"/resources/{name}.yaml");

    public static ComponentDefinition RedisDefinition(RedisServer redis, string name = "orders-pubsub", params (string Name, string Value)[] metadata)
        => Definition(name, "pubsub.redis", [("redisHost", redis.Endpoint), .. metadata]);

    public static async Task<RedisStreamsPubSub> StartRedisAsync(RedisServer redis, string name = "orders-pubsub", params (string Name, string Value)[] metadata)
    {
        var component = new RedisStreamsPubSub(RedisDefinition(redis, name, metadata), Loggers.CreateLogger<RedisStreamsPubSub>(), TimeProvider.System);
        await component.InitAsync(CancellationToken.None);
        return component;
    }

    public static Publisher Publisher(string appId, params PubSubComponent[] components)
        => new(new PubSubRegistry(components), appId, ResiliencyPolicies.None, TimeProvider.System, Loggers.CreateLogger<Publisher>());

    public static async Task<IDatabase> DatabaseAsync(RedisServer redis)
        => (await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString)).GetDatabase();

    /// <summary>Polls until <paramref name="condition"/> holds; fails with <paramref name="what"/> after <paramref name="timeout"/>.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out waiting until {what}");
            }

            await Task.Delay(25);
        }
    }

    public static Task EventuallyAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
        => EventuallyAsync(() => Task.FromResult(condition()), what, timeout);

    public static async Task<long> PendingCountAsync(IDatabase db, string topic, string group)
        => (await db.StreamPendingAsync(topic, group)).PendingMessageCount;
}
