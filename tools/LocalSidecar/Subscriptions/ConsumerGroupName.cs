using LocalSidecar.Components;

namespace LocalSidecar.Subscriptions;

/// <summary>
/// The consumer group a subscriber joins: the component's <c>consumerID</c>, or the app id when it is empty, with
/// daprd's templates expanded (<c>pkg/runtime/meta</c>): <c>{uuid}</c> → a new uuid per occurrence, <c>{podName}</c>
/// → the pod name (an error when there is none), <c>{namespace}</c> → <c>namespace.appId</c>, <c>{appID}</c> → app id.
/// </summary>
public static class ConsumerGroupName
{
    public const string MetadataKey = "consumerID";

    public static string Resolve(ComponentDefinition component, string appId, string? @namespace, string? podName)
    {
        var raw = component.Metadata.Get(MetadataKey) ?? appId;
        var value = raw;
        while (value.Contains("{uuid}", StringComparison.Ordinal))
        {
            value = ReplaceFirst(value, "{uuid}", Guid.NewGuid().ToString());
        }

        if (value.Contains("{podName}", StringComparison.Ordinal))
        {
            value = string.IsNullOrEmpty(podName)
                ? throw component.Metadata.Invalid(MetadataKey, "refers to {podName} but the sidecar has no pod name")
                : value.Replace("{podName}", podName, StringComparison.Ordinal);
        }

        return value
            .Replace("{namespace}", $"{@namespace}.{appId}", StringComparison.Ordinal)
            .Replace("{appID}", appId, StringComparison.Ordinal);
    }

    private static string ReplaceFirst(string text, string token, string replacement)
    {
        var at = text.IndexOf(token, StringComparison.Ordinal);
        return string.Concat(text.AsSpan(0, at), replacement, text.AsSpan(at + token.Length));
    }
}
