using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using LocalSidecar.Components;
using LocalSidecar.State;
using Proto = Dapr.Client.Autogen.Grpc.v1;

namespace LocalSidecar.Hosting;

/// <summary>What <c>/v1.0/metadata</c> and gRPC GetMetadata report: the app id, the loaded components and subscriptions.</summary>
public sealed class SidecarMetadata(SidecarOptions options, IReadOnlyList<ComponentDefinition> components, StateStoreRegistry stateStores)
{
    public const string RuntimeVersion = "1.19.0-local";
    private readonly ConcurrentDictionary<string, string> _extended = new(StringComparer.Ordinal);

    /// <summary>Filled by the subscription manager once it has read the app's and the declarative subscriptions.</summary>
    public Func<IReadOnlyList<SubscriptionInfo>> Subscriptions { get; set; } = () => [];

    public void SetExtended(string key, string value) => _extended[key] = value;

    private IEnumerable<(ComponentDefinition Definition, IReadOnlyList<string> Capabilities)> Registered()
        => components.Select(c => (c, Capabilities(c)));

    private IReadOnlyList<string> Capabilities(ComponentDefinition definition)
    {
        if (!stateStores.Stores.TryGetValue(definition.Name, out var entry))
        {
            return [];
        }

        var features = entry.Store.Features;
        var list = new List<string>();
        if (features.HasFlag(StateStoreFeatures.ETag)) list.Add("ETAG");
        if (features.HasFlag(StateStoreFeatures.Transactional)) list.Add("TRANSACTIONAL");
        if (features.HasFlag(StateStoreFeatures.Ttl)) list.Add("TTL");
        if (features.HasFlag(StateStoreFeatures.Query)) list.Add("QUERY_API");
        if (stateStores.ActorStateStore?.Definition.Name == definition.Name) list.Add("ACTOR");
        return list;
    }

    public Proto.GetMetadataResponse ToProto()
    {
        var response = new Proto.GetMetadataResponse { Id = options.AppId, RuntimeVersion = RuntimeVersion };
        foreach (var (definition, capabilities) in Registered())
        {
            var component = new Proto.RegisteredComponents { Name = definition.Name, Type = definition.Type, Version = definition.Version };
            component.Capabilities.Add(capabilities);
            response.RegisteredComponents.Add(component);
        }

        foreach (var subscription in Subscriptions())
        {
            var item = new Proto.PubsubSubscription
            {
                PubsubName = subscription.PubsubName,
                Topic = subscription.Topic,
                DeadLetterTopic = subscription.DeadLetterTopic ?? "",
                Rules = new Proto.PubsubSubscriptionRules(),
            };
            item.Rules.Rules.Add(subscription.Rules.Select(r => new Proto.PubsubSubscriptionRule { Match = r.Match ?? "", Path = r.Path }));
            response.Subscriptions.Add(item);
        }

        response.ExtendedMetadata.Add(_extended);
        if (options.AppPort is { } port)
        {
            response.AppConnectionProperties = new Proto.AppConnectionProperties
            {
                Port = port,
                Protocol = options.AppProtocol,
                ChannelAddress = options.AppChannelAddress,
            };
        }

        return response;
    }

    /// <summary>The JSON daprd serves at <c>GET /v1.0/metadata</c> (camelCase field names).</summary>
    public JsonObject ToJson()
    {
        var json = new JsonObject
        {
            ["id"] = options.AppId,
            ["runtimeVersion"] = RuntimeVersion,
            ["components"] = new JsonArray(Registered().Select(r => (JsonNode)new JsonObject
            {
                ["name"] = r.Definition.Name,
                ["type"] = r.Definition.Type,
                ["version"] = r.Definition.Version,
                ["capabilities"] = new JsonArray(r.Capabilities.Select(c => (JsonNode)JsonValue.Create(c)!).ToArray()),
            }).ToArray()),
            ["subscriptions"] = new JsonArray(Subscriptions().Select(s => (JsonNode)new JsonObject
            {
                ["pubsubname"] = s.PubsubName,
                ["topic"] = s.Topic,
                ["deadLetterTopic"] = s.DeadLetterTopic,
                ["rules"] = new JsonArray(s.Rules.Select(r => (JsonNode)new JsonObject { ["match"] = r.Match, ["path"] = r.Path }).ToArray()),
                ["type"] = s.Declarative ? "DECLARATIVE" : "PROGRAMMATIC",
            }).ToArray()),
            ["extended"] = new JsonObject(_extended.Select(kv => new KeyValuePair<string, JsonNode?>(kv.Key, kv.Value))),
        };
        if (options.AppPort is { } port)
        {
            json["appConnectionProperties"] = new JsonObject
            {
                ["port"] = port,
                ["protocol"] = options.AppProtocol,
                ["channelAddress"] = options.AppChannelAddress,
            };
        }

        return json;
    }
}

public sealed record SubscriptionInfo(string PubsubName, string Topic, string? DeadLetterTopic, IReadOnlyList<(string? Match, string Path)> Rules, bool Declarative);
