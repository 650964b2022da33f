using System.Text.Json;
using System.Text.Json.Nodes;

namespace LocalSidecar.Subscriptions;

/// <summary>
/// Picks the path for an event: rules in order, the first whose CEL <c>match</c> is true over <c>event</c> (the
/// CloudEvent as a map) wins; a rule without match always wins; no rule → the event is not for this app.
/// </summary>
public sealed class SubscriptionRouter
{
    private readonly IReadOnlyList<(CelExpression? Match, string Path)> _rules;

    public SubscriptionRouter(IReadOnlyList<RouteRule> rules)
    {
        _rules = rules.Select(r => (r.Match is null ? null : CelExpression.Compile(r.Match), r.Path)).ToList();
    }

    /// <exception cref="CelEvaluationException">A match failed, e.g. it selected a field the event lacks, or was not boolean.</exception>
    public string? SelectPath(JsonObject cloudEvent)
    {
        Dictionary<string, object?>? variables = null;
        foreach (var (match, path) in _rules)
        {
            if (match is null)
            {
                return path;
            }

            variables ??= new Dictionary<string, object?> { ["event"] = CelValues.From(cloudEvent) };
            if (match.EvaluateBoolean(variables))
            {
                return path;
            }
        }

        return null;
    }
}

/// <summary>
/// Converts JSON into the plain values CEL sees. Every number becomes a double because daprd decodes the event with Go's
/// <c>json.Unmarshal</c> into <c>interface{}</c>, which yields float64; CEL compares doubles with ints numerically.
/// </summary>
public static class CelValues
{
    public static object? From(JsonNode? node) => node switch
    {
        null => null,
        JsonObject obj => obj.ToDictionary(p => p.Key, p => From(p.Value)),
        JsonArray array => array.Select(From).ToList(),
        JsonValue value => value.GetValueKind() switch
        {
            JsonValueKind.String => value.GetValue<string>(),
            JsonValueKind.Number => value.GetValue<double>(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => null,
        },
        _ => null,
    };
}
