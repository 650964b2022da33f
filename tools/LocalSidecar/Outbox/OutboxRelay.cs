using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LocalSidecar.Hosting;
using LocalSidecar.PubSub;
using LocalSidecar.State;

namespace LocalSidecar.Outbox;

/// <summary>
/// The second half of daprd's outbox (<c>SubscribeToInternalTopics</c>): reads the internal topic, waits until the
/// marker row of the message's transaction is visible, publishes the event to the real topic and deletes the marker.
/// A marker that never appears means the transaction did not commit: the message is dropped when
/// <c>outboxDiscardWhenMissingState</c> is set, otherwise the handler fails and the broker's rules apply.
/// Delivery is at least once: a crash between the publish and the marker delete publishes the event again, with the
/// same CloudEvent id, so consumers de-duplicate on it.
/// </summary>
public sealed class OutboxRelay(SidecarOptions options, StateStoreRegistry stores, PubSubRegistry pubsubs, Publisher publisher, OutboxTiming timing, ILogger<OutboxRelay> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var subscriptions = new List<Task>();
        foreach (var entry in stores.Stores.Values.Where(s => s.Outbox is not null))
        {
            var settings = entry.Outbox!;
            if (!pubsubs.TryGet(settings.InternalPubsub, out var internalPubsub))
            {
                logger.LogWarning("Outbox of state store {Store}: pubsub {Pubsub} is not loaded; no outbox message will be forwarded", entry.Definition.Name, settings.InternalPubsub);
                continue;
            }

            var topic = StateOutbox.InternalTopic(options, settings.PublishTopic);
            var consumerGroup = internalPubsub.Definition.Metadata.Get("consumerID") ?? options.AppId;
            subscriptions.Add(internalPubsub.Broker.SubscribeAsync(topic, consumerGroup, new Dictionary<string, string>(),
                (message, ct) => ForwardAsync(entry, settings, message, ct), stoppingToken));
        }

        await Task.WhenAll(subscriptions);
    }

    private async Task ForwardAsync(StateStoreEntry entry, OutboxSettings settings, PubSubMessage message, CancellationToken ct)
    {
        var cloudEvent = JsonNode.Parse(message.Data) as JsonObject
            ?? throw new JsonException($"outbox message on {message.Topic} is not a JSON object");
        var marker = cloudEvent[CloudEventEnvelope.Fields.Id]?.GetValue<string>()
            ?? throw new JsonException($"outbox message on {message.Topic} has no id");

        await Task.Delay(timing.FirstCheckDelay, ct);
        if (!await MarkerCommittedAsync(entry, marker, ct))
        {
            if (settings.DiscardWhenMissingState)
            {
                logger.LogError("Outbox message {Id} of state store {Store} has no committed state; discarding it", marker, entry.Definition.Name);
                return;
            }

            throw new InvalidOperationException($"cannot publish outbox message to topic {settings.PublishTopic} with pubsub {settings.PublishPubsub}: outbox state not found");
        }

        cloudEvent[CloudEventEnvelope.Fields.Topic] = settings.PublishTopic;
        cloudEvent[CloudEventEnvelope.Fields.PubsubName] = settings.PublishPubsub;
        await publisher.ForwardAsync(settings.PublishPubsub, settings.PublishTopic, Encoding.UTF8.GetBytes(cloudEvent.ToJsonString()), new Dictionary<string, string>(), ct);
        await RetryAsync(() => entry.Store.DeleteAsync(new DeleteOperation(marker), ct), ct);
    }

    /// <summary>Backs off as daprd does (0.5 s, ×3, at most 3 s apart, 10 s in all) while the transaction may still be committing.</summary>
    private async Task<bool> MarkerCommittedAsync(StateStoreEntry entry, string marker, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timing.MaxWait;
        var wait = timing.InitialBackoff;
        while (true)
        {
            if ((await entry.Store.GetAsync(marker, ct)).Exists)
            {
                return true;
            }

            if (DateTime.UtcNow + wait > deadline)
            {
                return false;
            }

            await Task.Delay(wait, ct);
            wait = TimeSpan.FromTicks(Math.Min(wait.Ticks * 3, timing.MaxBackoff.Ticks));
        }
    }

    private async Task RetryAsync(Func<Task> action, CancellationToken ct)
    {
        var wait = timing.InitialBackoff;
        var deadline = DateTime.UtcNow + timing.MaxWait;
        while (true)
        {
            try
            {
                await action();
                return;
            }
            catch (StateStoreException e) when (DateTime.UtcNow + wait <= deadline)
            {
                logger.LogWarning(e, "Deleting an outbox marker failed; retrying in {Wait}", wait);
                await Task.Delay(wait, ct);
                wait = TimeSpan.FromTicks(Math.Min(wait.Ticks * 3, timing.MaxBackoff.Ticks));
            }
        }
    }
}

/// <summary>daprd's outbox timings; tests may shorten them, production keeps daprd's.</summary>
public sealed record OutboxTiming(TimeSpan FirstCheckDelay, TimeSpan InitialBackoff, TimeSpan MaxBackoff, TimeSpan MaxWait)
{
    public static OutboxTiming Daprd { get; } = new(TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(10));
}
