using System.Globalization;
using LocalSidecar.Components;
using YamlDotNet.RepresentationModel;

namespace LocalSidecar.Subscriptions;

/// <summary>
/// Strict reading of one YAML mapping of a Dapr resource. Keys match case-insensitively because daprd converts YAML to
/// JSON and decodes it with Go's case-insensitive decoder (so <c>pubsubName</c> works like <c>pubsubname</c>). Every
/// error names the file and the dotted path of the field, so a typo stops start-up at the line to fix.
/// </summary>
internal sealed class YamlFields
{
    private readonly YamlMappingNode _node;
    private readonly string _file;
    private readonly string _path;

    private YamlFields(YamlMappingNode node, string file, string path)
    {
        _node = node;
        _file = file;
        _path = path;
    }

    public static YamlFields Root(YamlMappingNode root, string file) => new(root, file, "");

    public string File => _file;

    public string PathOf(string name) => _path.Length == 0 ? name : $"{_path}.{name}";

    public ResourceException Error(string name, string problem) => new(_file, $"field '{PathOf(name)}' {problem}");

    /// <summary>Rejects any key not listed, naming it.</summary>
    public YamlFields AllowOnly(params string[] names)
    {
        foreach (var (key, _) in Pairs())
        {
            if (!names.Contains(key, StringComparer.OrdinalIgnoreCase))
            {
                throw new ResourceException(_file, $"unknown field '{PathOf(key)}' (allowed here: {string.Join(", ", names)})");
            }
        }

        return this;
    }

    public IEnumerable<(string Key, YamlNode Value)> Pairs()
    {
        foreach (var (keyNode, value) in _node.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { } key })
            {
                throw new ResourceException(_file, $"a key under '{(_path.Length == 0 ? "the document" : _path)}' is not a plain name");
            }

            yield return (key, value);
        }
    }

    public YamlNode? Node(string name)
    {
        foreach (var (key, value) in Pairs())
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                return IsNull(value) ? null : value;
            }
        }

        return null;
    }

    public string? String(string name) => Node(name) switch
    {
        null => null,
        YamlScalarNode scalar => scalar.Value,
        _ => throw Error(name, "must be a single value"),
    };

    public string RequiredString(string name)
        => String(name) is { Length: > 0 } value ? value : throw Error(name, "is required");

    public YamlFields? Map(string name) => Node(name) switch
    {
        null => null,
        YamlMappingNode map => new YamlFields(map, _file, PathOf(name)),
        _ => throw Error(name, "must be a mapping"),
    };

    public IEnumerable<(string Key, YamlFields Value)> MapEntries()
    {
        foreach (var (key, value) in Pairs())
        {
            if (IsNull(value))
            {
                yield return (key, new YamlFields(new YamlMappingNode(), _file, PathOf(key)));
                continue;
            }

            yield return value is YamlMappingNode map
                ? (key, new YamlFields(map, _file, PathOf(key)))
                : throw Error(key, "must be a mapping");
        }
    }

    public IEnumerable<(string Key, string Value)> ScalarEntries()
    {
        foreach (var (key, value) in Pairs())
        {
            yield return value switch
            {
                YamlScalarNode scalar => (key, scalar.Value ?? ""),
                _ => throw Error(key, "must be a single value"),
            };
        }
    }

    public IReadOnlyList<YamlFields> MapList(string name)
    {
        switch (Node(name))
        {
            case null:
                return [];
            case YamlSequenceNode sequence:
                var items = new List<YamlFields>();
                for (var i = 0; i < sequence.Children.Count; i++)
                {
                    items.Add(sequence.Children[i] is YamlMappingNode map
                        ? new YamlFields(map, _file, $"{PathOf(name)}[{i}]")
                        : throw Error($"{name}[{i}]", "must be a mapping"));
                }

                return items;
            default:
                throw Error(name, "must be a list");
        }
    }

    public IReadOnlyList<string> StringList(string name) => Node(name) switch
    {
        null => [],
        YamlSequenceNode sequence => sequence.Children
            .Select((item, i) => item is YamlScalarNode { Value: { } v } ? v : throw Error($"{name}[{i}]", "must be a single value"))
            .ToList(),
        _ => throw Error(name, "must be a list"),
    };

    /// <summary>A string→string map such as <c>spec.metadata</c>; numbers and booleans are kept as written.</summary>
    public IReadOnlyDictionary<string, string> StringMap(string name)
    {
        var map = Map(name);
        return map is null
            ? new Dictionary<string, string>()
            : map.ScalarEntries().ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
    }

    public bool? Bool(string name) => String(name) switch
    {
        null => null,
        var raw => raw.Trim().ToLowerInvariant() switch
        {
            "true" => true,
            "false" => false,
            _ => throw Error(name, $"must be true or false, got '{raw}'"),
        },
    };

    public long? Long(string name)
    {
        var raw = String(name);
        if (raw is null)
        {
            return null;
        }

        return long.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw Error(name, $"must be an integer, got '{raw}'");
    }

    /// <summary>Go duration ("5s", "1m30s"); a bare integer counts as milliseconds, as in daprd's resiliency parser.</summary>
    public TimeSpan? Duration(string name)
    {
        var raw = String(name);
        if (raw is null)
        {
            return null;
        }

        return GoDuration.TryParse(raw, TimeSpan.FromMilliseconds(1), out var value)
            ? value
            : throw Error(name, $"must be a duration such as '5s' or '500ms', got '{raw}'");
    }

    private static bool IsNull(YamlNode node)
        => node is YamlScalarNode { Style: not YamlDotNet.Core.ScalarStyle.SingleQuoted and not YamlDotNet.Core.ScalarStyle.DoubleQuoted, Value: null or "" or "~" or "null" };
}
