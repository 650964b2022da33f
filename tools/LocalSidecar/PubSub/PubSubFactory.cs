using LocalSidecar.Components;
using LocalSidecar.PubSub.InMemory;
using LocalSidecar.PubSub.Redis;
using Microsoft.Extensions.Logging;

namespace LocalSidecar.PubSub;

/// <summary>Creates the broker a component file names. Unknown types stop start-up: nothing is silently ignored.</summary>
public static class PubSubFactory
{
    public static IReadOnlyCollection<string> SupportedTypes { get; } = ["pubsub.redis", "pubsub.in-memory"];

    /// <summary>Metadata is validated here, so a bad field fails before <see cref="IPubSub.InitAsync"/> opens connections.</summary>
    public static IPubSub Create(ComponentDefinition definition, ILoggerFactory loggers, TimeProvider time) => definition.Type switch
    {
        "pubsub.redis" => new RedisStreamsPubSub(definition, loggers.CreateLogger<RedisStreamsPubSub>(), time),
        "pubsub.in-memory" => new InMemoryPubSub(definition, loggers.CreateLogger<InMemoryPubSub>(), time),
        _ => throw new ResourceException(definition.SourceFile,
            $"component '{definition.Name}': type '{definition.Type}' is not supported by the local sidecar (supported: {string.Join(", ", SupportedTypes)})"),
    };
}
