namespace LocalSidecar.Components;

/// <summary>A <c>kind: Component</c> resource after secrets are resolved and scopes are applied.</summary>
public sealed record ComponentDefinition(
    string Name,
    string Type,
    string Version,
    ComponentMetadata Metadata,
    IReadOnlyList<string> Scopes,
    string SourceFile)
{
    /// <summary>The building block, the part of <see cref="Type"/> before the first dot: state, pubsub, secretstores.</summary>
    public string Category => Type.Split('.', 2)[0];
}

/// <summary>
/// Component metadata with daprd's lookup rules: names are matched case-insensitively, as the Go decoder does.
/// Typed getters throw <see cref="ResourceException"/> naming the component file and field, so a bad value stops
/// start-up instead of being silently replaced by a default.
/// </summary>
public sealed class ComponentMetadata(IReadOnlyDictionary<string, string> values, string sourceFile, string componentName)
{
    private readonly Dictionary<string, string> _values = new(values, StringComparer.OrdinalIgnoreCase);

    public IReadOnlyDictionary<string, string> All => _values;

    public string? Get(params string[] names)
    {
        foreach (var name in names)
        {
            if (_values.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value))
            {
                return value;
            }
        }

        return null;
    }

    public string Required(string name, params string[] aliases)
        => Get([name, .. aliases]) ?? throw Invalid(name, "is required");

    public bool GetBool(string name, bool defaultValue = false)
    {
        var raw = Get(name);
        if (raw is null)
        {
            return defaultValue;
        }

        return raw.Trim().ToLowerInvariant() switch
        {
            "true" or "1" or "yes" or "y" or "on" => true,
            "false" or "0" or "no" or "n" or "off" => false,
            _ => throw Invalid(name, $"must be a boolean, got '{raw}'"),
        };
    }

    public int GetInt(string name, int defaultValue)
    {
        var raw = Get(name);
        if (raw is null)
        {
            return defaultValue;
        }

        return int.TryParse(raw, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var value)
            ? value
            : throw Invalid(name, $"must be an integer, got '{raw}'");
    }

    /// <summary>
    /// Reads a Go-style duration ("500ms", "15s", "1m30s", "1h"). A bare number is read in
    /// <paramref name="bareNumberUnit"/>, because components differ: pubsub.redis reads milliseconds,
    /// state.postgresql reads seconds.
    /// </summary>
    public TimeSpan GetDuration(string name, TimeSpan defaultValue, TimeSpan bareNumberUnit, params string[] aliases)
    {
        var raw = Get([name, .. aliases]);
        if (raw is null)
        {
            return defaultValue;
        }

        return GoDuration.TryParse(raw, bareNumberUnit, out var value)
            ? value
            : throw Invalid(name, $"must be a duration such as '15s' or '500ms', got '{raw}'");
    }

    public ResourceException Invalid(string field, string problem)
        => new(sourceFile, $"component '{componentName}': metadata field '{field}' {problem}");
}
