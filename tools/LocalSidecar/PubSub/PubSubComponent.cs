using LocalSidecar.Components;

namespace LocalSidecar.PubSub;

/// <summary>A loaded, initialised broker together with the resource it came from and this app's topic rules.</summary>
public sealed record PubSubComponent(ComponentDefinition Definition, IPubSub Broker, TopicAccessPolicy Topics)
{
    public string Name => Definition.Name;

    public static PubSubComponent Create(ComponentDefinition definition, IPubSub broker, string appId)
        => new(definition, broker, TopicAccessPolicy.For(definition.Metadata, appId));
}

/// <summary>The pub/sub components this sidecar has, by name (exact match, as daprd's component store).</summary>
public sealed class PubSubRegistry
{
    private readonly Dictionary<string, PubSubComponent> _byName;

    public PubSubRegistry(IEnumerable<PubSubComponent> components)
    {
        _byName = new Dictionary<string, PubSubComponent>(StringComparer.Ordinal);
        foreach (var component in components)
        {
            if (!_byName.TryAdd(component.Name, component))
            {
                throw new ResourceException(component.Definition.SourceFile, $"a pub/sub component named '{component.Name}' is defined twice");
            }
        }
    }

    public IReadOnlyCollection<PubSubComponent> All => _byName.Values;

    public bool TryGet(string name, out PubSubComponent component) => _byName.TryGetValue(name, out component!);

    public PubSubComponent Get(string name)
        => TryGet(name, out var component) ? component : throw new PubSubNotFoundException(name);
}
