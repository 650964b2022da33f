using System.Text.Json;
using NpgsqlTypes;
using StackExchange.Redis;

namespace Customers.Tests.Infrastructure;

/// <summary>An event as pubsub.redis stored it: one stream entry whose <c>data</c> field holds the CloudEvent.</summary>
public sealed record PublishedEvent(string EntryId, string Id, string Type, string? Subject, JsonElement Data)
{
    public Guid CustomerId => Data.GetProperty("id").GetGuid();

    public int Version => Data.GetProperty("version").GetInt32();

    public string Name => Data.GetProperty("name").GetString()!;

    /// <summary>The commit LSN the relay put in the id (<c>{commit LSN}-{index}</c>).</summary>
    public NpgsqlLogSequenceNumber CommitLsn => NpgsqlLogSequenceNumber.Parse(Id[..Id.LastIndexOf('-')]);

    public int IndexInTransaction => int.Parse(Id[(Id.LastIndexOf('-') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// Reads what was published straight from the topic's Redis stream (XRANGE), so a test sees every event the sidecar
/// accepted, duplicates included, in the order it accepted them, with no subscriber in between to reorder or drop any.
/// </summary>
public sealed class PublishedEvents(IConnectionMultiplexer redis, string topic = "customers")
{
    public async Task<IReadOnlyList<PublishedEvent>> ReadAsync()
    {
        var entries = await redis.GetDatabase().StreamRangeAsync(topic);
        return entries.Select(Parse).ToList();
    }

    public async Task<IReadOnlyList<PublishedEvent>> WaitForAsync(
        Func<IReadOnlyList<PublishedEvent>, bool> done, string what, Func<string>? diagnostics = null, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var events = await ReadAsync();
            if (done(events))
            {
                return events;
            }

            Assert.True(DateTime.UtcNow < deadline,
                $"timed out waiting for {what}; the stream holds {events.Count} events\n{diagnostics?.Invoke()}");
            await Task.Delay(50);
        }
    }

    private static PublishedEvent Parse(StreamEntry entry)
    {
        var data = entry["data"];
        Assert.False(data.IsNull, $"stream entry {entry.Id} has no data field");
        using var document = JsonDocument.Parse((string)data!);
        var envelope = document.RootElement;
        return new PublishedEvent(
            entry.Id!,
            envelope.GetProperty("id").GetString()!,
            envelope.GetProperty("type").GetString()!,
            envelope.TryGetProperty("subject", out var subject) ? subject.GetString() : null,
            envelope.GetProperty("data").Clone());
    }
}
