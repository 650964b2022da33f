using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Runner.RunFiles;

/// <summary>
/// Reads typed values out of one YAML mapping and remembers which keys were read, so that anything
/// left over can be reported as unknown instead of being silently ignored.
/// </summary>
public sealed class YamlMappingReader
{
    private readonly Dictionary<string, (YamlScalarNode Key, YamlNode Value)> _entries = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);
    private readonly string _file;

    public YamlMappingReader(YamlMappingNode mapping, string file, string context)
    {
        _file = file;
        Context = context;
        foreach (var (key, value) in mapping.Children)
        {
            if (key is not YamlScalarNode scalarKey || scalarKey.Value is null)
            {
                throw Error($"keys must be plain names (line {key.Start.Line})");
            }
            _entries[scalarKey.Value] = (scalarKey, value);
        }
    }

    /// <summary>Where in the file this mapping is, e.g. <c>apps[2] (catalog)</c>; empty for the top level.</summary>
    public string Context { get; set; }

    public RunFileException Error(string message) =>
        new(Context.Length == 0 ? $"{_file}: {message}" : $"{_file}: {Context}: {message}");

    public bool Has(string key) => _entries.ContainsKey(key) && !IsNull(_entries[key].Value);

    public YamlNode? Node(string key)
    {
        _read.Add(key);
        return _entries.TryGetValue(key, out var entry) && !IsNull(entry.Value) ? entry.Value : null;
    }

    public string? String(string key)
    {
        var node = Node(key);
        if (node is null)
        {
            return null;
        }
        if (node is not YamlScalarNode scalar)
        {
            throw Error($"{key} must be a single value (line {node.Start.Line})");
        }
        return scalar.Value ?? "";
    }

    public int? Int(string key)
    {
        var text = String(key);
        if (text is null)
        {
            return null;
        }
        if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            throw Error($"{key} must be a whole number, got '{text}' (line {_entries[key].Value.Start.Line})");
        }
        return value;
    }

    public bool? Bool(string key)
    {
        var text = String(key);
        if (text is null)
        {
            return null;
        }
        // The Dapr CLI decodes with YAML 1.1 rules, which also accept yes/no/on/off.
        return text.ToLowerInvariant() switch
        {
            "true" or "yes" or "on" or "y" => true,
            "false" or "no" or "off" or "n" => false,
            _ => throw Error($"{key} must be true or false, got '{text}' (line {_entries[key].Value.Start.Line})"),
        };
    }

    public IReadOnlyList<string>? StringList(string key)
    {
        var node = Node(key);
        if (node is null)
        {
            return null;
        }
        if (node is not YamlSequenceNode sequence)
        {
            throw Error($"{key} must be a list (line {node.Start.Line})");
        }
        var items = new List<string>();
        for (var i = 0; i < sequence.Children.Count; i++)
        {
            if (sequence.Children[i] is not YamlScalarNode item)
            {
                throw Error($"{key}[{i}] must be a single value (line {sequence.Children[i].Start.Line})");
            }
            items.Add(item.Value ?? "");
        }
        return items;
    }

    /// <summary>A mapping of names to values, in file order (order matters when the app's environment is built).</summary>
    public IReadOnlyList<KeyValuePair<string, string>>? StringMap(string key)
    {
        var node = Node(key);
        if (node is null)
        {
            return null;
        }
        if (node is not YamlMappingNode mapping)
        {
            throw Error($"{key} must be a mapping of names to values (line {node.Start.Line})");
        }
        var pairs = new List<KeyValuePair<string, string>>();
        foreach (var (entryKey, entryValue) in mapping.Children)
        {
            if (entryKey is not YamlScalarNode name || string.IsNullOrEmpty(name.Value))
            {
                throw Error($"{key} has an entry without a name (line {entryKey.Start.Line})");
            }
            if (entryValue is not YamlScalarNode value)
            {
                throw Error($"{key}.{name.Value} must be a single value (line {entryValue.Start.Line})");
            }
            pairs.Add(new(name.Value, IsNull(value) ? "" : value.Value ?? ""));
        }
        return pairs;
    }

    /// <summary>Fails on the first key nobody asked for, so a typo cannot silently change what runs.</summary>
    public void EnsureNoUnknownKeys()
    {
        foreach (var (name, (keyNode, _)) in _entries)
        {
            if (_read.Contains(name))
            {
                continue;
            }
            var sameButCase = _read.FirstOrDefault(known => string.Equals(known, name, StringComparison.OrdinalIgnoreCase));
            var hint = sameButCase is null ? "" : $"; did you mean '{sameButCase}'?";
            throw Error($"unknown key '{name}' (line {keyNode.Start.Line}){hint}");
        }
    }

    private static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain } scalar
        && (scalar.Value is null or "" or "~" or "null" or "Null" or "NULL");
}
