using System.Net;
using System.Text;
using System.Text.Json;
using Grpc.Core;
using LocalSidecar.Api;
using LocalSidecar.Hosting;
using LocalSidecar.PubSub;
using LocalSidecar.State;

namespace LocalSidecar.Outbox;

/// <summary>
/// The first half of daprd's transactional outbox (dapr/dapr pkg/runtime/pubsub/outbox.go, <c>PublishInternal</c>):
/// before the state transaction commits, every upsert is published to an internal topic and a marker row
/// <c>outbox-{uuid}</c> is added to the same transaction. <see cref="OutboxRelay"/> forwards a message to the real
/// topic only once it finds its marker, so a transaction that never commits never produces a message.
/// </summary>
public sealed class StateOutbox(SidecarOptions options, PubSubRegistry pubsubs, Publisher publisher, TimeProvider time) : IStateOutbox
{
    public const string ProjectionMetadata = "outbox.projection";
    public const string MarkerPrefix = "outbox-";

    /// <summary>The marker's value, the JSON encoding of the string "0" that daprd stores.</summary>
    private static readonly StateValue MarkerValue = new("\"0\""u8.ToArray(), IsJson: true);

    public static string InternalTopic(SidecarOptions options, string publishTopic)
        => (options.Namespace ?? "") + options.AppId + publishTopic + "outbox";

    public async Task<PreparedTransaction> PrepareAsync(StateStoreEntry entry, IReadOnlyList<TransactionItem> items, IReadOnlyList<StateOperation> operations, CancellationToken ct)
    {
        var settings = entry.Outbox ?? throw new InvalidOperationException($"state store {entry.Definition.Name} has no outbox");
        if (!pubsubs.TryGet(settings.InternalPubsub, out _))
        {
            throw Failure($"outbox pubsub {settings.InternalPubsub} of state store {entry.Definition.Name} is not loaded");
        }

        var projections = new Dictionary<string, SaveItem>(StringComparer.Ordinal);
        var kept = new List<StateOperation>(operations.Count + 1);
        var upserts = new List<SaveItem>();
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            if (!item.IsDelete && IsTrue(item.Item.Metadata, ProjectionMetadata))
            {
                projections[item.Item.Key] = item.Item; // the projection replaces the payload; it is not written
                continue;
            }

            kept.Add(operations[i]);
            if (!item.IsDelete)
            {
                upserts.Add(item.Item);
            }
        }

        var unmatched = projections.Keys.FirstOrDefault(key => upserts.All(u => u.Key != key));
        if (unmatched is not null)
        {
            throw Failure($"outbox projection key '{unmatched}' does not match any upsert of the transaction");
        }

        var topic = InternalTopic(options, settings.PublishTopic);
        foreach (var upsert in upserts)
        {
            var marker = MarkerPrefix + Guid.NewGuid();
            var source = projections.GetValueOrDefault(upsert.Key) ?? upsert;
            var metadata = upsert.Metadata.Concat(source == upsert ? [] : source.Metadata)
                .Where(kv => kv.Key.StartsWith("cloudevent.", StringComparison.OrdinalIgnoreCase))
                .Where(kv => !kv.Key.Equals(CloudEventEnvelope.Overrides.Id, StringComparison.OrdinalIgnoreCase)) // the id is the marker
                .GroupBy(kv => kv.Key, StringComparer.OrdinalIgnoreCase)
                .ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.OrdinalIgnoreCase);
            var contentType = source.Metadata.TryGetValue("contentType", out var declared) ? declared : null;
            var envelope = CloudEventEnvelope.Build(
                new CloudEventRequest(settings.InternalPubsub, topic, options.AppId, source.Value.Bytes, contentType, metadata, TraceParent: null, TraceState: null),
                time.GetUtcNow(),
                () => Guid.Empty);
            envelope[CloudEventEnvelope.Fields.Id] = marker;

            try
            {
                await publisher.ForwardAsync(settings.InternalPubsub, topic, Encoding.UTF8.GetBytes(envelope.ToJsonString()), new Dictionary<string, string>(), ct);
            }
            catch (PubSubException e)
            {
                // Nothing is committed yet: failing here loses nothing, and the caller sees the transaction fail.
                throw Failure($"error publishing internal outbox message: {e.Message}", e);
            }

            kept.Add(new SetOperation(marker, MarkerValue));
        }

        return new PreparedTransaction(kept, AfterCommit: null);
    }

    private static bool IsTrue(IReadOnlyDictionary<string, string> metadata, string key)
        => metadata.TryGetValue(key, out var value) && value.Trim().ToLowerInvariant() is "true" or "1" or "yes" or "y" or "on";

    private static DaprApiException Failure(string message, Exception? inner = null)
        => new("ERR_STATE_TRANSACTION", $"error while executing state transaction: {message}", HttpStatusCode.InternalServerError, StatusCode.Internal, inner);
}
