namespace LocalSidecar.PubSub;

/// <summary>Request and subscription metadata switches, read the way daprd reads them (<c>utils.IsTruthy</c>).</summary>
public static class MetadataFlags
{
    public const string RawPayload = "rawPayload";
    public const string TtlInSeconds = "ttlInSeconds";

    public static bool IsRawPayload(IReadOnlyDictionary<string, string>? metadata) => IsTruthy(Find(metadata, RawPayload));

    public static string? Find(IReadOnlyDictionary<string, string>? metadata, string name)
    {
        if (metadata is null)
        {
            return null;
        }

        if (metadata.TryGetValue(name, out var exact))
        {
            return exact;
        }

        foreach (var (key, value) in metadata)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        return null;
    }

    public static bool IsTruthy(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        "1" or "t" or "true" or "y" or "yes" or "on" => true,
        _ => false,
    };
}
