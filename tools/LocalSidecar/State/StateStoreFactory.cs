using LocalSidecar.Components;
using LocalSidecar.State.InMemory;

namespace LocalSidecar.State;

/// <summary>Creates the store a component file names. Unknown types stop start-up: nothing is silently ignored.</summary>
public static class StateStoreFactory
{
    public static IReadOnlyCollection<string> SupportedTypes { get; } = ["state.in-memory"];

    public static IStateStore Create(ComponentDefinition definition, TimeProvider time) => definition.Type switch
    {
        "state.in-memory" => new InMemoryStateStore(definition, time),
        _ => throw new ResourceException(definition.SourceFile,
            $"component '{definition.Name}': type '{definition.Type}' is not supported by the local sidecar (supported: {string.Join(", ", SupportedTypes)})"),
    };
}
