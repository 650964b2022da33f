namespace LocalSidecar.State;

/// <summary>
/// daprd rewrites every key before it reaches the store (dapr/dapr pkg/components/state/state_config.go);
/// the stored key therefore depends on the component's <c>keyPrefix</c>, not on the caller.
/// </summary>
public sealed class StateKeys
{
    public const string Separator = "||";
    private readonly string? _prefix;

    private StateKeys(string? prefix) => _prefix = prefix;

    public static StateKeys For(string? keyPrefixSetting, string storeName, string appId, string? @namespace)
    {
        var setting = string.IsNullOrWhiteSpace(keyPrefixSetting) ? "appid" : keyPrefixSetting.Trim();
        var prefix = setting.ToLowerInvariant() switch
        {
            "appid" => string.IsNullOrEmpty(appId) ? null : appId,
            "name" => storeName,
            "namespace" => string.IsNullOrEmpty(@namespace) ? (string.IsNullOrEmpty(appId) ? null : appId) : $"{@namespace}.{appId}",
            "none" => null,
            _ => setting,
        };
        if (prefix is not null && prefix.Contains(Separator, StringComparison.Ordinal))
        {
            throw new ArgumentException($"keyPrefix '{prefix}' must not contain '{Separator}'");
        }

        return new StateKeys(prefix);
    }

    public string ToStoreKey(string key)
    {
        if (key.Contains(Separator, StringComparison.Ordinal))
        {
            throw new InvalidStateKeyException(key);
        }

        return _prefix is null ? key : _prefix + Separator + key;
    }

    public string FromStoreKey(string storeKey)
    {
        if (_prefix is null)
        {
            return storeKey;
        }

        var head = _prefix + Separator;
        return storeKey.StartsWith(head, StringComparison.Ordinal) ? storeKey[head.Length..] : storeKey;
    }
}

public sealed class InvalidStateKeyException(string key)
    : Exception($"input key/keyPrefix '{key}' can't contain '{StateKeys.Separator}'");
