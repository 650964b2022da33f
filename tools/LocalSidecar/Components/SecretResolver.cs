using System.Text.Json;

namespace LocalSidecar.Components;

/// <summary>
/// Resolves <c>secretKeyRef</c> and <c>envRef</c> in component metadata against the local secret stores
/// (<c>secretstores.local.env</c>, <c>secretstores.local.file</c>) named by each component's <c>auth.secretStore</c>,
/// the way daprd does in self-hosted mode. A reference that cannot be resolved stops start-up.
/// </summary>
internal sealed class SecretResolver
{
    private readonly Dictionary<string, Func<string, string?, string?>> _stores = new(StringComparer.Ordinal);

    public SecretResolver(IReadOnlyList<RawComponent> secretStores)
    {
        foreach (var store in secretStores)
        {
            if (store.Items.Any(i => i.SecretKeyRef is not null))
            {
                throw new ResourceException(store.SourceFile, $"component '{store.Name}': a secret store cannot take its own metadata from a secret store");
            }

            var metadata = Plain(store);
            _stores[store.Name] = store.Type switch
            {
                "secretstores.local.env" => EnvStore(metadata.Get("prefix")),
                "secretstores.local.file" => FileStore(store, metadata),
                _ => throw new ResourceException(store.SourceFile,
                    $"component '{store.Name}': type '{store.Type}' is not supported by the local sidecar (supported: secretstores.local.env, secretstores.local.file)"),
            };
        }
    }

    public ComponentDefinition Resolve(RawComponent component)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var item in component.Items)
        {
            values[item.Name] = item switch
            {
                { Value: { } value } => value,
                { EnvRef: { } variable } => Environment.GetEnvironmentVariable(variable)
                    ?? throw new ResourceException(component.SourceFile, $"component '{component.Name}': metadata '{item.Name}': environment variable '{variable}' (envRef) is not set"),
                { SecretKeyRef: { } reference } => Secret(component, item.Name, reference.Name, reference.Key),
                _ => throw new ResourceException(component.SourceFile, $"component '{component.Name}': metadata '{item.Name}' has no value"),
            };
        }

        return new ComponentDefinition(component.Name, component.Type, component.Version,
            new ComponentMetadata(values, component.SourceFile, component.Name), component.Scopes, component.SourceFile);
    }

    private string Secret(RawComponent component, string field, string secretName, string? key)
    {
        if (component.SecretStore is null)
        {
            throw new ResourceException(component.SourceFile,
                $"component '{component.Name}': metadata '{field}' uses secretKeyRef but the component has no 'auth.secretStore'");
        }

        if (!_stores.TryGetValue(component.SecretStore, out var store))
        {
            throw new ResourceException(component.SourceFile,
                $"component '{component.Name}': auth.secretStore '{component.SecretStore}' is not a loaded secret store");
        }

        return store(secretName, key)
            ?? throw new ResourceException(component.SourceFile,
                $"component '{component.Name}': metadata '{field}': secret '{secretName}'{(key is null ? "" : $" key '{key}'")} not found in secret store '{component.SecretStore}'");
    }

    private static ComponentMetadata Plain(RawComponent store)
        => new(store.Items.ToDictionary(i => i.Name, i => i.Value ?? (i.EnvRef is null ? "" : Environment.GetEnvironmentVariable(i.EnvRef) ?? "")),
            store.SourceFile, store.Name);

    private static Func<string, string?, string?> EnvStore(string? prefix)
        => (name, key) =>
        {
            // local.env exposes one value per variable; the key, when given, must name the same secret.
            if (key is not null && key != name)
            {
                return null;
            }

            return Environment.GetEnvironmentVariable((prefix ?? "") + name);
        };

    private static Func<string, string?, string?> FileStore(RawComponent store, ComponentMetadata metadata)
    {
        var path = metadata.Required("secretsFile");
        // daprd resolves the path against its working directory; the component's folder is tried as well so that
        // a resources folder can carry its own secrets file whoever starts the sidecar.
        var candidates = Path.IsPathRooted(path)
            ? [path]
            : new[] { Path.GetFullPath(path), Path.Combine(Path.GetDirectoryName(store.SourceFile)!, path) };
        var file = candidates.FirstOrDefault(File.Exists)
            ?? throw metadata.Invalid("secretsFile", $"names a file that does not exist (looked for {string.Join(", ", candidates)})");
        var separator = metadata.Get("nestedSeparator") ?? ":";
        var multiValued = metadata.GetBool("multiValued");

        using var json = JsonDocument.Parse(File.ReadAllText(file));
        var flat = new Dictionary<string, string>(StringComparer.Ordinal);
        Flatten(json.RootElement, "", separator, flat);

        return (name, key) =>
        {
            if (multiValued)
            {
                // With multiValued, the top-level name is the secret and the nested names are its keys.
                return flat.TryGetValue(name + separator + (key ?? name), out var nested) ? nested : null;
            }

            return (key is null || key == name) && flat.TryGetValue(name, out var value) ? value : null;
        };
    }

    private static void Flatten(JsonElement element, string prefix, string separator, Dictionary<string, string> into)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in element.EnumerateObject())
            {
                Flatten(property.Value, prefix.Length == 0 ? property.Name : prefix + separator + property.Name, separator, into);
            }
        }
        else
        {
            into[prefix] = element.ValueKind == JsonValueKind.String ? element.GetString()! : element.GetRawText();
        }
    }
}
