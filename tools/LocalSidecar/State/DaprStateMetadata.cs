using LocalSidecar.Components;

namespace LocalSidecar.State;

/// <summary>
/// Metadata names that daprd itself reads from any state store component before the component sees them
/// (dapr/dapr pkg/components/state/state_config.go, pkg/runtime/processor/state, pkg/runtime/pubsub/outbox.go).
/// Every state store accepts them; their meaning belongs to the sidecar, not to the store.
/// </summary>
public static class DaprStateMetadata
{
    public const string ActorStateStore = "actorStateStore";
    public const string KeyPrefix = "keyPrefix";
    public const string OutboxPublishPubsub = "outboxPublishPubsub";
    public const string OutboxPublishTopic = "outboxPublishTopic";
    public const string OutboxPubsub = "outboxPubsub";
    public const string OutboxDiscardWhenMissingState = "outboxDiscardWhenMissingState";

    public static IReadOnlyList<string> DaprdLevelNames { get; } =
    [
        ActorStateStore,
        KeyPrefix,
        OutboxPublishPubsub,
        OutboxPublishTopic,
        OutboxPubsub,
        OutboxDiscardWhenMissingState,
    ];

    /// <summary>
    /// Rejects any metadata name that is neither one of <paramref name="componentNames"/> nor a daprd-level name.
    /// daprd itself ignores unknown names; a typo there silently falls back to a default, which is exactly the kind of
    /// difference between local and deployed behaviour this sidecar exists to avoid.
    /// </summary>
    public static void RejectUnknownNames(ComponentDefinition definition, IEnumerable<string> componentNames)
    {
        var known = new HashSet<string>(componentNames, StringComparer.OrdinalIgnoreCase);
        known.UnionWith(DaprdLevelNames);
        foreach (var name in definition.Metadata.All.Keys.Order(StringComparer.Ordinal))
        {
            if (!known.Contains(name))
            {
                throw definition.Metadata.Invalid(name,
                    $"is not a metadata field of {definition.Type} (known: {string.Join(", ", known.Order(StringComparer.OrdinalIgnoreCase))})");
            }
        }
    }
}
