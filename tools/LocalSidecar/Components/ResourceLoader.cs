using LocalSidecar.Resiliency;
using LocalSidecar.Subscriptions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace LocalSidecar.Components;

/// <summary>
/// Reads a daprd resources folder: every <c>.yaml</c>/<c>.yml</c> file, every document in it, dispatched by <c>kind</c>.
/// Like daprd, only the files directly in each folder are read and a resource whose <c>scopes</c> exclude this
/// app is left out. Unlike daprd, which logs and skips many mistakes, every malformed document stops start-up
/// with the file and the field, so a typo never turns into a silently missing component.
/// </summary>
public sealed class ResourceLoader(string appId)
{
    private static readonly string[] ComponentSpecFields = ["type", "version", "metadata", "initTimeout", "ignoreErrors"];

    public LoadedResources Load(IEnumerable<string> resourcesPaths)
    {
        var components = new List<RawComponent>();
        var subscriptions = new List<SubscriptionDefinition>();
        var resiliencies = new List<ResiliencyDefinition>();

        foreach (var folder in resourcesPaths)
        {
            if (!Directory.Exists(folder))
            {
                throw new ResourceException(folder, "resources path does not exist");
            }

            foreach (var file in Directory.EnumerateFiles(folder).Where(IsYaml).Order(StringComparer.Ordinal))
            {
                foreach (var document in ReadDocuments(file))
                {
                    var kind = Scalar(document, "kind", file) ?? throw new ResourceException(file, "field 'kind' is required");
                    if (!InScope(document, file))
                    {
                        continue;
                    }

                    switch (kind)
                    {
                        case "Component":
                            components.Add(ParseComponent(document, file));
                            break;
                        case "Subscription":
                            subscriptions.Add(SubscriptionResourceParser.Parse(document, file));
                            break;
                        case "Resiliency":
                            resiliencies.Add(ResiliencyResourceParser.Parse(document, file));
                            break;
                        case "Configuration":
                            throw new ResourceException(file, "kind 'Configuration' belongs in the file given with --config (dapr.yaml: configFilePath), not in a resources path");
                        default:
                            throw new ResourceException(file, $"kind '{kind}' is not supported by the local sidecar (supported: Component, Subscription, Resiliency)");
                    }
                }
            }
        }

        var duplicate = components.GroupBy(c => c.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ResourceException(duplicate.Last().SourceFile, $"component name '{duplicate.Key}' is already used in {duplicate.First().SourceFile}");
        }

        var secrets = new SecretResolver(components.Where(c => c.Type.StartsWith("secretstores.", StringComparison.Ordinal)).ToList());
        var resolved = components.Select(secrets.Resolve).ToList();
        return new LoadedResources(resolved, subscriptions, resiliencies);
    }

    private static bool IsYaml(string path)
        => path.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".yml", StringComparison.OrdinalIgnoreCase);

    private static IEnumerable<YamlMappingNode> ReadDocuments(string file)
    {
        var stream = new YamlStream();
        try
        {
            using var reader = new StreamReader(file);
            stream.Load(reader);
        }
        catch (YamlException e)
        {
            throw new ResourceException(file, $"malformed YAML at line {e.Start.Line}, column {e.Start.Column}: {e.Message}", e);
        }

        foreach (var document in stream.Documents)
        {
            if (document.RootNode is YamlScalarNode { Value: null or "" })
            {
                continue; // an empty document between '---' separators
            }

            yield return document.RootNode as YamlMappingNode
                ?? throw new ResourceException(file, $"a document at line {document.RootNode.Start.Line} is not a mapping");
        }
    }

    private bool InScope(YamlMappingNode document, string file)
    {
        if (!document.Children.TryGetValue(new YamlScalarNode("scopes"), out var node))
        {
            return true;
        }

        if (node is not YamlSequenceNode scopes)
        {
            throw new ResourceException(file, "field 'scopes' must be a list of app ids");
        }

        return scopes.Children.Count == 0 || scopes.Children.OfType<YamlScalarNode>().Any(s => s.Value == appId);
    }

    private static RawComponent ParseComponent(YamlMappingNode document, string file)
    {
        RequireOnly(document, file, "", "apiVersion", "kind", "metadata", "spec", "scopes", "auth");
        var apiVersion = Scalar(document, "apiVersion", file);
        if (apiVersion != "dapr.io/v1alpha1")
        {
            throw new ResourceException(file, $"field 'apiVersion' must be 'dapr.io/v1alpha1' for a Component, got '{apiVersion}'");
        }

        var meta = Mapping(document, "metadata", file) ?? throw new ResourceException(file, "field 'metadata' is required");
        var name = Scalar(meta, "name", file);
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new ResourceException(file, "field 'metadata.name' is required");
        }

        var spec = Mapping(document, "spec", file) ?? throw new ResourceException(file, $"component '{name}': field 'spec' is required");
        RequireOnly(spec, file, "spec.", ComponentSpecFields);
        var type = Scalar(spec, "type", file);
        if (string.IsNullOrWhiteSpace(type) || !type.Contains('.'))
        {
            throw new ResourceException(file, $"component '{name}': field 'spec.type' is required and must look like 'state.redis'");
        }

        // daprd treats a missing version as the component's initial version.
        var version = Scalar(spec, "version", file) is { Length: > 0 } v ? v : "v1";
        var auth = Mapping(document, "auth", file);
        var secretStore = auth is null ? null : Scalar(auth, "secretStore", file);

        var items = new List<RawMetadataItem>();
        if (spec.Children.TryGetValue(new YamlScalarNode("metadata"), out var metadataNode) && metadataNode is not YamlScalarNode { Value: null or "" })
        {
            if (metadataNode is not YamlSequenceNode list)
            {
                throw new ResourceException(file, $"component '{name}': field 'spec.metadata' must be a list of {{name, value}} items");
            }

            var index = 0;
            foreach (var entry in list.Children)
            {
                var field = $"spec.metadata[{index++}]";
                if (entry is not YamlMappingNode item)
                {
                    throw new ResourceException(file, $"component '{name}': {field} must be a mapping with 'name' and 'value'");
                }

                RequireOnly(item, file, field + ".", "name", "value", "secretKeyRef", "envRef");
                var itemName = Scalar(item, "name", file);
                if (string.IsNullOrWhiteSpace(itemName))
                {
                    throw new ResourceException(file, $"component '{name}': {field}.name is required");
                }

                var secretRef = Mapping(item, "secretKeyRef", file);
                var envRef = Scalar(item, "envRef", file);
                var hasValue = item.Children.ContainsKey(new YamlScalarNode("value"));
                var sources = (hasValue ? 1 : 0) + (secretRef is null ? 0 : 1) + (envRef is null ? 0 : 1);
                if (sources != 1)
                {
                    throw new ResourceException(file, $"component '{name}': metadata '{itemName}' must have exactly one of 'value', 'secretKeyRef' or 'envRef'");
                }

                items.Add(new RawMetadataItem(
                    itemName,
                    hasValue ? ValueText(item, file, itemName) : null,
                    secretRef is null ? null : (Scalar(secretRef, "name", file) ?? throw new ResourceException(file, $"component '{name}': metadata '{itemName}': secretKeyRef.name is required"),
                                                Scalar(secretRef, "key", file)),
                    envRef));
            }
        }

        var duplicateItem = items.GroupBy(i => i.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicateItem is not null)
        {
            throw new ResourceException(file, $"component '{name}': metadata '{duplicateItem.Key}' is given twice");
        }

        var scopes = document.Children.TryGetValue(new YamlScalarNode("scopes"), out var scopeNode) && scopeNode is YamlSequenceNode seq
            ? seq.Children.OfType<YamlScalarNode>().Select(s => s.Value ?? "").ToList()
            : [];
        return new RawComponent(name, type, version, items, scopes, secretStore, file);
    }

    private static string ValueText(YamlMappingNode item, string file, string itemName)
    {
        var node = item.Children[new YamlScalarNode("value")];
        return node switch
        {
            YamlScalarNode scalar => scalar.Value ?? "",
            _ => throw new ResourceException(file, $"metadata '{itemName}': 'value' must be a scalar (quote JSON values)"),
        };
    }

    internal static void RequireOnly(YamlMappingNode node, string file, string path, params string[] allowed)
    {
        foreach (var key in node.Children.Keys.OfType<YamlScalarNode>())
        {
            if (!allowed.Contains(key.Value, StringComparer.Ordinal))
            {
                throw new ResourceException(file, $"unknown field '{path}{key.Value}' at line {key.Start.Line} (allowed: {string.Join(", ", allowed)})");
            }
        }
    }

    internal static string? Scalar(YamlMappingNode node, string key, string file)
    {
        if (!node.Children.TryGetValue(new YamlScalarNode(key), out var value))
        {
            return null;
        }

        return value is YamlScalarNode scalar
            ? scalar.Value
            : throw new ResourceException(file, $"field '{key}' at line {value.Start.Line} must be a scalar");
    }

    internal static YamlMappingNode? Mapping(YamlMappingNode node, string key, string file)
    {
        if (!node.Children.TryGetValue(new YamlScalarNode(key), out var value) || value is YamlScalarNode { Value: null or "" })
        {
            return null;
        }

        return value as YamlMappingNode
            ?? throw new ResourceException(file, $"field '{key}' at line {value.Start.Line} must be a mapping");
    }
}

public sealed record LoadedResources(
    IReadOnlyList<ComponentDefinition> Components,
    IReadOnlyList<SubscriptionDefinition> Subscriptions,
    IReadOnlyList<ResiliencyDefinition> Resiliencies);

internal sealed record RawMetadataItem(string Name, string? Value, (string Name, string? Key)? SecretKeyRef, string? EnvRef);

internal sealed record RawComponent(
    string Name,
    string Type,
    string Version,
    IReadOnlyList<RawMetadataItem> Items,
    IReadOnlyList<string> Scopes,
    string? SecretStore,
    string SourceFile);
