using LocalSidecar.Components;

namespace LocalSidecar.PubSub;

/// <summary>
/// daprd's component-level topic rules for one app (<c>allowedTopics</c>, <c>protectedTopics</c>, <c>publishingScopes</c>,
/// <c>subscriptionScopes</c>), evaluated like <c>pkg/runtime/pubsub.IsOperationAllowed</c>: a topic outside a non-empty
/// allow-list is refused; a protected topic, or any topic once the app has a scope list, must be in that list.
/// </summary>
public sealed class TopicAccessPolicy
{
    public const string AllowedTopicsKey = "allowedTopics";
    public const string ProtectedTopicsKey = "protectedTopics";
    public const string PublishingScopesKey = "publishingScopes";
    public const string SubscriptionScopesKey = "subscriptionScopes";

    public static IReadOnlyCollection<string> MetadataNames { get; } =
        [AllowedTopicsKey, ProtectedTopicsKey, PublishingScopesKey, SubscriptionScopesKey];

    public static TopicAccessPolicy AllowAll { get; } = new([], [], [], []);

    private readonly IReadOnlyList<string> _allowed;
    private readonly IReadOnlyList<string> _protected;
    private readonly IReadOnlyList<string> _publishScope;
    private readonly IReadOnlyList<string> _subscribeScope;

    private TopicAccessPolicy(IReadOnlyList<string> allowed, IReadOnlyList<string> @protected, IReadOnlyList<string> publishScope, IReadOnlyList<string> subscribeScope)
    {
        _allowed = allowed;
        _protected = @protected;
        _publishScope = publishScope;
        _subscribeScope = subscribeScope;
    }

    public static TopicAccessPolicy For(ComponentMetadata metadata, string appId) => new(
        TopicList(metadata.Get(AllowedTopicsKey)),
        TopicList(metadata.Get(ProtectedTopicsKey)),
        ScopedTopics(metadata.Get(PublishingScopesKey), appId),
        ScopedTopics(metadata.Get(SubscriptionScopesKey), appId));

    public bool CanPublish(string topic) => IsAllowed(topic, _publishScope);

    public bool CanSubscribe(string topic) => IsAllowed(topic, _subscribeScope);

    private bool IsAllowed(string topic, IReadOnlyList<string> scoped)
    {
        if (_allowed.Count > 0 && !_allowed.Contains(topic, StringComparer.Ordinal))
        {
            return false;
        }

        var isProtected = _protected.Contains(topic, StringComparer.Ordinal);
        if (!isProtected && scoped.Count == 0)
        {
            return true;
        }

        return scoped.Contains(topic, StringComparer.Ordinal);
    }

    private static IReadOnlyList<string> TopicList(string? value)
        => value is null ? [] : value.Replace(" ", "", StringComparison.Ordinal).Split(',').Distinct(StringComparer.Ordinal).ToList();

    /// <summary>Format <c>app1=t1,t2;app2=t3</c>; an entry without '=' is skipped as daprd does.</summary>
    private static IReadOnlyList<string> ScopedTopics(string? value, string appId)
    {
        if (value is null)
        {
            return [];
        }

        var topics = new List<string>();
        foreach (var entry in value.Replace(" ", "", StringComparison.Ordinal).Split(';'))
        {
            var parts = entry.Split('=');
            if (parts.Length < 2 || parts[0] != appId)
            {
                continue;
            }

            foreach (var topic in parts[1].Split(','))
            {
                if (!topics.Contains(topic, StringComparer.Ordinal))
                {
                    topics.Add(topic);
                }
            }
        }

        return topics;
    }
}
