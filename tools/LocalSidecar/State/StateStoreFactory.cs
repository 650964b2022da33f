using LocalSidecar.Components;
using LocalSidecar.State.InMemory;
using LocalSidecar.State.Postgres;
using LocalSidecar.State.Redis;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LocalSidecar.State;

/// <summary>Creates the store a component file names. Unknown types stop start-up: nothing is silently ignored.</summary>
public static class StateStoreFactory
{
    public static IReadOnlyCollection<string> SupportedTypes { get; } = ["state.in-memory", "state.redis", "state.postgresql"];

    /// <summary>
    /// Reads and checks the component's metadata at once, so a bad component file fails here with a
    /// <see cref="ResourceException"/>; connecting happens later in <see cref="IStateStore.InitAsync"/>.
    /// </summary>
    public static IStateStore Create(ComponentDefinition definition, TimeProvider time, ILoggerFactory? loggers = null) => definition.Type switch
    {
        "state.in-memory" => new InMemoryStateStore(definition, time),
        "state.redis" => new RedisStateStore(definition),
        "state.postgresql" => new PostgresStateStore(definition, time, (loggers ?? NullLoggerFactory.Instance).CreateLogger<PostgresStateStore>()),
        _ => throw new ResourceException(definition.SourceFile,
            $"component '{definition.Name}': type '{definition.Type}' is not supported by the local sidecar (supported: {string.Join(", ", SupportedTypes)})"),
    };
}
