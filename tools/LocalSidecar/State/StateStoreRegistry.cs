using LocalSidecar.Components;

namespace LocalSidecar.State;

/// <summary>A loaded state store with the key rule and the outbox settings daprd derives from its component file.</summary>
public sealed record StateStoreEntry(ComponentDefinition Definition, IStateStore Store, StateKeys Keys, OutboxSettings? Outbox);

/// <summary>The daprd-level outbox fields of a state store component (docs: state-management/howto-outbox).</summary>
public sealed record OutboxSettings(string PublishPubsub, string PublishTopic, string InternalPubsub, bool DiscardWhenMissingState)
{
    public static OutboxSettings? From(ComponentDefinition definition)
    {
        var pubsub = definition.Metadata.Get("outboxPublishPubsub");
        var topic = definition.Metadata.Get("outboxPublishTopic");
        if (pubsub is null && topic is null)
        {
            return null;
        }

        if (pubsub is null || topic is null)
        {
            throw definition.Metadata.Invalid(pubsub is null ? "outboxPublishPubsub" : "outboxPublishTopic",
                "is required when the other outbox field is set");
        }

        return new OutboxSettings(pubsub, topic, definition.Metadata.Get("outboxPubsub") ?? pubsub,
            definition.Metadata.GetBool("outboxDiscardWhenMissingState"));
    }
}

public sealed class StateStoreRegistry(IReadOnlyDictionary<string, StateStoreEntry> stores)
{
    public IReadOnlyDictionary<string, StateStoreEntry> Stores { get; } = stores;

    public StateStoreEntry? ActorStateStore { get; } = FindActorStore(stores.Values);

    private static StateStoreEntry? FindActorStore(IEnumerable<StateStoreEntry> stores)
    {
        var marked = stores.Where(s => s.Definition.Metadata.GetBool("actorStateStore")).ToList();
        if (marked.Count > 1)
        {
            throw new ResourceException(marked[1].Definition.SourceFile,
                $"detected duplicate actor state store: '{marked[0].Definition.Name}' and '{marked[1].Definition.Name}' both set actorStateStore");
        }

        return marked.SingleOrDefault();
    }
}
