using LocalSidecar.Subscriptions;
using YamlDotNet.RepresentationModel;

namespace LocalSidecar.Resiliency;

/// <summary>
/// Reads a <c>kind: Resiliency</c> document (dapr <c>pkg/apis/resiliency/v1alpha1</c>). Unknown fields and malformed
/// values stop start-up with the file and field named; daprd instead logs and skips the whole document, which leaves
/// an app silently without the retries its author expected.
/// </summary>
public static class ResiliencyResourceParser
{
    public const string Kind = "Resiliency";
    public const string ApiVersion = "dapr.io/v1alpha1";

    public static ResiliencyDefinition Parse(YamlMappingNode root, string file)
    {
        var doc = YamlFields.Root(root, file).AllowOnly("apiVersion", "kind", "metadata", "spec", "scopes");
        var kind = doc.RequiredString("kind");
        if (kind != Kind)
        {
            throw doc.Error("kind", $"must be '{Kind}', got '{kind}'");
        }

        var apiVersion = doc.RequiredString("apiVersion");
        if (apiVersion != ApiVersion)
        {
            throw doc.Error("apiVersion", $"must be '{ApiVersion}', got '{apiVersion}'");
        }

        var name = ResourceMetadata.Name(doc);
        var spec = doc.Map("spec") ?? throw doc.Error("spec", "is required");
        spec.AllowOnly("policies", "targets");

        var policies = spec.Map("policies");
        policies?.AllowOnly("timeouts", "retries", "circuitBreakers");
        var targets = spec.Map("targets");
        targets?.AllowOnly("apps", "actors", "components");

        return new ResiliencyDefinition(
            name,
            file,
            doc.StringList("scopes"),
            ParseTimeouts(policies?.Map("timeouts")),
            ParseRetries(policies?.Map("retries")),
            ParseCircuitBreakers(policies?.Map("circuitBreakers")),
            ParseApps(targets?.Map("apps")),
            ParseActors(targets?.Map("actors")),
            ParseComponents(targets?.Map("components")));
    }

    private static Dictionary<string, TimeSpan> ParseTimeouts(YamlFields? timeouts)
    {
        var result = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
        if (timeouts is null)
        {
            return result;
        }

        foreach (var (name, _) in timeouts.ScalarEntries())
        {
            var value = timeouts.Duration(name) ?? throw timeouts.Error(name, "must be a duration");
            result[name] = value > TimeSpan.Zero ? value : throw timeouts.Error(name, "must be greater than zero");
        }

        return result;
    }

    private static Dictionary<string, RetryPolicyDefinition> ParseRetries(YamlFields? retries)
    {
        var result = new Dictionary<string, RetryPolicyDefinition>(StringComparer.Ordinal);
        if (retries is null)
        {
            return result;
        }

        foreach (var (name, retry) in retries.MapEntries())
        {
            retry.AllowOnly("policy", "duration", "maxInterval", "maxRetries", "matching");
            var policy = retry.String("policy")?.ToLowerInvariant() switch
            {
                null or "constant" => RetryBackoff.Constant,
                "exponential" => RetryBackoff.Exponential,
                var other => throw retry.Error("policy", $"must be 'constant' or 'exponential', got '{other}'"),
            };

            var maxRetries = retry.Long("maxRetries") ?? -1;
            if (maxRetries < -1)
            {
                throw retry.Error("maxRetries", "must be -1 (unlimited), 0 or more");
            }

            var matching = retry.Map("matching");
            matching?.AllowOnly("httpStatusCodes", "gRPCStatusCodes");

            result[name] = new RetryPolicyDefinition(
                policy,
                retry.Duration("duration") ?? RetryPolicyDefinition.DefaultDuration,
                retry.Duration("maxInterval") ?? RetryPolicyDefinition.DefaultMaxInterval,
                maxRetries,
                Codes(matching, "httpStatusCodes", 100, 599),
                Codes(matching, "gRPCStatusCodes", 0, 16));
        }

        return result;
    }

    private static StatusCodeRanges? Codes(YamlFields? matching, string field, int min, int max)
    {
        var text = matching?.String(field);
        if (text is null)
        {
            return null;
        }

        var ranges = StatusCodeRanges.Parse(text, min, max, out var error);
        return error is null ? ranges : throw matching!.Error(field, error);
    }

    private static Dictionary<string, CircuitBreakerDefinition> ParseCircuitBreakers(YamlFields? breakers)
    {
        var result = new Dictionary<string, CircuitBreakerDefinition>(StringComparer.Ordinal);
        if (breakers is null)
        {
            return result;
        }

        foreach (var (name, breaker) in breakers.MapEntries())
        {
            breaker.AllowOnly("maxRequests", "interval", "timeout", "trip");
            var maxRequests = breaker.Long("maxRequests") ?? 0;
            if (maxRequests is < 0 or > uint.MaxValue)
            {
                throw breaker.Error("maxRequests", "must be zero or a positive integer");
            }

            var trip = breaker.String("trip") ?? CircuitBreakerDefinition.DefaultTrip;
            try
            {
                CelExpression.Compile(trip);
            }
            catch (CelCompileException e)
            {
                throw breaker.Error("trip", e.Message);
            }

            var timeout = breaker.Duration("timeout") ?? TimeSpan.Zero;
            result[name] = new CircuitBreakerDefinition(
                name,
                // gobreaker reads 0 as "1 request while half-open" and a zero timeout as its 60 s default.
                maxRequests == 0 ? 1u : (uint)maxRequests,
                breaker.Duration("interval") ?? TimeSpan.Zero,
                timeout > TimeSpan.Zero ? timeout : CircuitBreakerDefinition.DefaultTimeout,
                trip);
        }

        return result;
    }

    private static Dictionary<string, PolicyNames> ParseApps(YamlFields? apps)
    {
        var result = new Dictionary<string, PolicyNames>(StringComparer.Ordinal);
        if (apps is null)
        {
            return result;
        }

        foreach (var (name, app) in apps.MapEntries())
        {
            app.AllowOnly("timeout", "retry", "circuitBreaker", "circuitBreakerCacheSize");
            CacheSize(app);
            result[name] = Names(app);
        }

        return result;
    }

    private static Dictionary<string, ActorPolicyNames> ParseActors(YamlFields? actors)
    {
        var result = new Dictionary<string, ActorPolicyNames>(StringComparer.Ordinal);
        if (actors is null)
        {
            return result;
        }

        foreach (var (name, actor) in actors.MapEntries())
        {
            actor.AllowOnly("timeout", "retry", "circuitBreaker", "circuitBreakerScope", "circuitBreakerCacheSize");
            CacheSize(actor);
            var names = Names(actor);
            var scope = actor.String("circuitBreakerScope");
            if (names.CircuitBreaker is not null && scope is null)
            {
                throw actor.Error("circuitBreakerScope", "is required when an actor target has a circuitBreaker");
            }

            if (scope is not null and not ("id" or "type" or "both"))
            {
                throw actor.Error("circuitBreakerScope", $"must be 'id', 'type' or 'both', got '{scope}'");
            }

            result[name] = new ActorPolicyNames(names, scope);
        }

        return result;
    }

    private static Dictionary<string, ComponentPolicyNames> ParseComponents(YamlFields? components)
    {
        var result = new Dictionary<string, ComponentPolicyNames>(StringComparer.Ordinal);
        if (components is null)
        {
            return result;
        }

        foreach (var (name, component) in components.MapEntries())
        {
            component.AllowOnly("inbound", "outbound");
            result[name] = new ComponentPolicyNames(Direction(component.Map("inbound")), Direction(component.Map("outbound")));
        }

        return result;
    }

    private static PolicyNames Direction(YamlFields? direction)
    {
        if (direction is null)
        {
            return PolicyNames.None;
        }

        direction.AllowOnly("timeout", "retry", "circuitBreaker");
        return Names(direction);
    }

    private static PolicyNames Names(YamlFields target)
        => new(target.String("timeout"), target.String("retry"), target.String("circuitBreaker"));

    private static void CacheSize(YamlFields target)
    {
        if (target.Long("circuitBreakerCacheSize") is < 0)
        {
            throw target.Error("circuitBreakerCacheSize", "must not be negative");
        }
    }
}
