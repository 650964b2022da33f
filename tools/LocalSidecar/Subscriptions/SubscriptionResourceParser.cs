using YamlDotNet.RepresentationModel;

namespace LocalSidecar.Subscriptions;

/// <summary>
/// Reads a <c>kind: Subscription</c> document. <c>dapr.io/v2alpha1</c> has <c>spec.routes</c> (rules with CEL
/// <c>match</c> + <c>path</c>, and <c>default</c>); the deprecated <c>dapr.io/v1alpha1</c> has a single
/// <c>spec.route</c>. Match expressions are compiled here so a bad one names its file and rule at start-up.
/// </summary>
public static class SubscriptionResourceParser
{
    public const string Kind = "Subscription";
    public const string V1Alpha1 = "dapr.io/v1alpha1";
    public const string V2Alpha1 = "dapr.io/v2alpha1";

    public static SubscriptionDefinition Parse(YamlMappingNode root, string file)
    {
        var doc = YamlFields.Root(root, file).AllowOnly("apiVersion", "kind", "metadata", "spec", "scopes");
        var kind = doc.RequiredString("kind");
        if (kind != Kind)
        {
            throw doc.Error("kind", $"must be '{Kind}', got '{kind}'");
        }

        var apiVersion = doc.RequiredString("apiVersion");
        var isV2 = apiVersion switch
        {
            V2Alpha1 => true,
            V1Alpha1 => false,
            _ => throw doc.Error("apiVersion", $"must be '{V2Alpha1}' or '{V1Alpha1}', got '{apiVersion}'"),
        };

        var name = ResourceMetadata.Name(doc);
        var spec = doc.Map("spec") ?? throw doc.Error("spec", "is required");
        if (isV2)
        {
            spec.AllowOnly("topic", "routes", "pubsubname", "deadLetterTopic", "bulkSubscribe", "metadata");
        }
        else
        {
            spec.AllowOnly("topic", "route", "pubsubname", "deadLetterTopic", "bulkSubscribe", "metadata");
        }

        var rules = isV2 ? ParseRoutes(spec.Map("routes")) : [new RouteRule(null, spec.RequiredString("route"))];
        return new SubscriptionDefinition(
            spec.RequiredString("pubsubname"),
            spec.RequiredString("topic"),
            rules,
            NonEmpty(spec.String("deadLetterTopic")),
            spec.StringMap("metadata"),
            ParseBulk(spec.Map("bulkSubscribe")),
            doc.StringList("scopes"),
            SubscriptionSource.Declarative,
            name,
            file);
    }

    private static IReadOnlyList<RouteRule> ParseRoutes(YamlFields? routes)
    {
        if (routes is null)
        {
            return [];
        }

        routes.AllowOnly("rules", "default");
        var rules = new List<RouteRule>();
        foreach (var rule in routes.MapList("rules"))
        {
            rule.AllowOnly("match", "path");
            var match = NonEmpty(rule.String("match")?.Trim());
            if (match is not null)
            {
                try
                {
                    CelExpression.Compile(match);
                }
                catch (CelCompileException e)
                {
                    throw rule.Error("match", e.Message);
                }
            }

            rules.Add(new RouteRule(match, rule.RequiredString("path")));
        }

        if (NonEmpty(routes.String("default")) is { } defaultPath)
        {
            rules.Add(new RouteRule(null, defaultPath));
        }

        return rules;
    }

    private static BulkSubscribeOptions? ParseBulk(YamlFields? bulk)
    {
        if (bulk is null)
        {
            return null;
        }

        bulk.AllowOnly("enabled", "maxMessagesCount", "maxAwaitDurationMs");
        return new BulkSubscribeOptions(
            bulk.Bool("enabled") ?? false,
            (int?)bulk.Long("maxMessagesCount"),
            (int?)bulk.Long("maxAwaitDurationMs"));
    }

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
