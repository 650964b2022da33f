namespace LocalSidecar.Subscriptions;

/// <summary>A routing rule; <see cref="Match"/> null means "always" and is only ever the last rule (the default route).</summary>
public sealed record RouteRule(string? Match, string Path);

/// <summary>Bulk delivery settings as written; the local sidecar refuses to start a subscription that enables them.</summary>
public sealed record BulkSubscribeOptions(bool Enabled, int? MaxMessagesCount, int? MaxAwaitDurationMs);

public enum SubscriptionSource
{
    /// <summary>A <c>kind: Subscription</c> resource file.</summary>
    Declarative,

    /// <summary>Returned by the app from <c>GET /dapr/subscribe</c>.</summary>
    Programmatic,
}

/// <summary>
/// One subscription, whichever way it was declared. <see cref="Rules"/> are tried in order; the default route, if any,
/// is the last rule with no match. A subscription with no rules receives nothing and is not started.
/// </summary>
public sealed record SubscriptionDefinition(
    string PubsubName,
    string Topic,
    IReadOnlyList<RouteRule> Rules,
    string? DeadLetterTopic,
    IReadOnlyDictionary<string, string> Metadata,
    BulkSubscribeOptions? BulkSubscribe,
    IReadOnlyList<string> Scopes,
    SubscriptionSource Source,
    string? Name = null,
    string? SourceFile = null)
{
    /// <summary>An empty or missing <c>scopes</c> list means every app gets the subscription; the match is exact.</summary>
    public bool AppliesTo(string appId) => Scopes.Count == 0 || Scopes.Contains(appId, StringComparer.Ordinal);

    public string Describe() => Source == SubscriptionSource.Declarative
        ? $"subscription '{Name}' ({SourceFile}) to {PubsubName}/{Topic}"
        : $"programmatic subscription to {PubsubName}/{Topic}";
}
