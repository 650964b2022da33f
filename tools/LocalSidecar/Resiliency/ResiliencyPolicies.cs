using System.Collections.Concurrent;
using LocalSidecar.Components;
using Microsoft.Extensions.Logging;

namespace LocalSidecar.Resiliency;

/// <summary>Component kinds as daprd spells them in default policy names (<c>DefaultPubsubComponentInboundRetryPolicy</c>).</summary>
public static class ComponentKinds
{
    public const string Pubsub = "Pubsub";
    public const string Statestore = "Statestore";
    public const string Binding = "Binding";
}

/// <summary>
/// All Resiliency documents that apply to this app, merged (a later document overrides a same-named policy), with
/// daprd's lookup: a named component target wins outright; otherwise each kind of policy is looked up by default name,
/// most specific first — <c>Default{Kind}Component{Direction}…</c>, <c>DefaultComponent{Direction}…</c>,
/// <c>DefaultComponent…</c>, <c>Default…</c>. Breaker state lives per component name for the sidecar's lifetime.
/// </summary>
public sealed class ResiliencyPolicies
{
    private readonly Dictionary<string, TimeSpan> _timeouts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, RetryPolicyDefinition> _retries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CircuitBreakerDefinition> _breakers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ComponentPolicyNames> _components = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TripCircuitBreaker> _breakerInstances = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ResiliencePolicy> _policies = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    private ResiliencyPolicies(TimeProvider time, ILogger logger)
    {
        _time = time;
        _logger = logger;
    }

    public static ResiliencyPolicies None { get; } = new(TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);

    public static ResiliencyPolicies Combine(IEnumerable<ResiliencyDefinition> documents, string appId, ILoggerFactory loggers, TimeProvider? time = null)
    {
        var policies = new ResiliencyPolicies(time ?? TimeProvider.System, loggers.CreateLogger<ResiliencyPolicies>());
        var applicable = documents.Where(d => d.AppliesTo(appId)).ToList();
        foreach (var document in applicable)
        {
            Merge(policies._timeouts, document.Timeouts);
            Merge(policies._retries, document.Retries);
            Merge(policies._breakers, document.CircuitBreakers);
            Merge(policies._components, document.Components);
        }

        foreach (var document in applicable)
        {
            foreach (var (component, names) in document.Components)
            {
                policies.CheckReferences(document, $"spec.targets.components.{component}.inbound", names.Inbound);
                policies.CheckReferences(document, $"spec.targets.components.{component}.outbound", names.Outbound);
            }

            foreach (var (app, names) in document.Apps)
            {
                policies.CheckReferences(document, $"spec.targets.apps.{app}", names);
            }

            foreach (var (actor, names) in document.Actors)
            {
                policies.CheckReferences(document, $"spec.targets.actors.{actor}", names.Policies);
            }
        }

        return policies;
    }

    /// <summary>The policy for sidecar → app calls of a component, e.g. pub/sub delivery.</summary>
    public ResiliencePolicy ComponentInbound(string componentName, string kind)
        => Resolve(componentName, kind, "Inbound", static names => names.Inbound);

    /// <summary>The policy for sidecar → component calls, e.g. a publish.</summary>
    public ResiliencePolicy ComponentOutbound(string componentName, string kind)
        => Resolve(componentName, kind, "Outbound", static names => names.Outbound);

    private ResiliencePolicy Resolve(string componentName, string kind, string direction, Func<ComponentPolicyNames, PolicyNames> select)
        => _policies.GetOrAdd($"{direction}/{componentName}", _ =>
        {
            var names = _components.TryGetValue(componentName, out var target)
                ? select(target)
                : DefaultNames(kind, direction);
            var breaker = names.CircuitBreaker is { } cb
                ? _breakerInstances.GetOrAdd(componentName, instance => new TripCircuitBreaker(_breakers[cb], instance, _time, _logger))
                : null;
            return ResiliencePolicy.Build(
                $"component[{componentName}] {(direction == "Inbound" ? "input" : "output")}",
                names.Timeout is { } t ? _timeouts[t] : null,
                names.Retry is { } r ? _retries[r] : null,
                breaker,
                _time);
        });

    private PolicyNames DefaultNames(string kind, string direction)
    {
        string[] levels = [$"{kind}Component{direction}", $"Component{direction}", "Component", ""];
        return new PolicyNames(
            First(levels, "Default{0}TimeoutPolicy", _timeouts),
            First(levels, "Default{0}RetryPolicy", _retries),
            First(levels, "Default{0}CircuitBreakerPolicy", _breakers));
    }

    private static string? First<T>(string[] levels, string template, Dictionary<string, T> defined)
        => levels.Select(level => string.Format(System.Globalization.CultureInfo.InvariantCulture, template, level)).FirstOrDefault(defined.ContainsKey);

    private void CheckReferences(ResiliencyDefinition document, string path, PolicyNames names)
    {
        // daprd silently applies "no policy" for a name it does not know; a typo there would disable retries unnoticed.
        Check(document, path, "timeout", names.Timeout, _timeouts);
        Check(document, path, "retry", names.Retry, _retries);
        Check(document, path, "circuitBreaker", names.CircuitBreaker, _breakers);
    }

    private static void Check<T>(ResiliencyDefinition document, string path, string field, string? name, Dictionary<string, T> defined)
    {
        if (name is not null && !defined.ContainsKey(name))
        {
            throw new ResourceException(document.SourceFile, $"field '{path}.{field}' names policy '{name}', which no Resiliency document defines");
        }
    }

    private static void Merge<T>(Dictionary<string, T> into, IReadOnlyDictionary<string, T> from)
    {
        foreach (var (name, value) in from)
        {
            into[name] = value;
        }
    }
}
