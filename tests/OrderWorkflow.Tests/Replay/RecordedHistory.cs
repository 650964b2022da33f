using Dapr.DurableTask.Protobuf;
using StackExchange.Redis;

namespace OrderWorkflow.Tests.Replay;

/// <summary>
/// A workflow instance's history as the sidecar stored it in the actor state store, read straight from Redis in
/// daprd's layout: <c>{app}||dapr.internal.default.{app}.workflow||{id}||metadata</c> gives the history length,
/// <c>…||history-NNNNNN</c> each event as protobuf bytes in the hash's <c>data</c> field.
/// </summary>
public static class RecordedHistory
{
    public static async Task<IReadOnlyList<HistoryEvent>> ReadAsync(string redisEndpoint, string appId, string instanceId)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(redisEndpoint);
        var db = redis.GetDatabase();
        var prefix = $"{appId}||dapr.internal.default.{appId}.workflow||{instanceId}||";
        var metadata = (byte[]?)await db.HashGetAsync(prefix + "metadata", "data")
            ?? throw new InvalidOperationException($"no workflow {instanceId} in the actor state store");
        var length = (int)BackendWorkflowStateMetadata.Parser.ParseFrom(metadata).HistoryLength;
        var events = new List<HistoryEvent>(length);
        for (var i = 0; i < length; i++)
        {
            var data = (byte[]?)await db.HashGetAsync($"{prefix}history-{i:D6}", "data")
                ?? throw new InvalidOperationException($"history-{i:D6} of {instanceId} is missing");
            events.Add(HistoryEvent.Parser.ParseFrom(data));
        }

        return events;
    }
}
