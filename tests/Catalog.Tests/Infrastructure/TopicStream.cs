using System.Text.Json;
using StackExchange.Redis;

namespace Catalog.Tests.Infrastructure;

/// <summary>
/// What the broker holds on a topic: pubsub.redis keeps one stream per topic, each entry's <c>data</c> field a CloudEvent.
/// Reading the stream shows exactly what any subscriber will be handed, without running one.
/// </summary>
public sealed class TopicStream(string redisEndpoint, string topic) : IAsyncDisposable
{
    private readonly ConnectionMultiplexer _redis = ConnectionMultiplexer.Connect(redisEndpoint);

    public async Task<IReadOnlyList<JsonElement>> ReadAsync()
    {
        var entries = await _redis.GetDatabase().StreamRangeAsync(topic);
        return entries.Select(e => JsonDocument.Parse((string)e["data"]!).RootElement.Clone()).ToList();
    }

    public async Task<IReadOnlyList<JsonElement>> WaitForAsync(Func<IReadOnlyList<JsonElement>, bool> done, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var events = await ReadAsync();
            if (done(events))
            {
                return events;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the expected events did not reach {topic}; it holds: {string.Join(", ", events.Select(e => e.GetProperty("type").GetString()))}");
            await Task.Delay(200);
        }
    }

    public async ValueTask DisposeAsync() => await _redis.DisposeAsync();
}
