using System.Text.RegularExpressions;

namespace Microsoft.Extensions.Hosting.FaultInjection;

/// <summary>When an injected fault strikes: instead of the handler, or after it ran and committed its work.</summary>
public enum FaultTiming
{
    /// <summary>The request never reaches the handler: the service looks down or overloaded.</summary>
    Before,

    /// <summary>The handler runs to the end, then its answer is lost: what a caller sees when a response is dropped
    /// on the way back, so it retries something that already happened (at-least-once delivery).</summary>
    After,

    /// <summary>The request waits <see cref="FaultRule.DelayMilliseconds"/>, then reaches the handler as usual: a slow
    /// service, and a window in which a test can kill the caller while the call is in flight.</summary>
    Delay,
}

/// <summary>A fault to inject into matching requests, as posted to <c>/_faults</c>.</summary>
/// <param name="Method">The HTTP method to match; null matches any.</param>
/// <param name="Path">A regular expression matched against the request path, e.g. <c>^/payments/[^/]+/capture$</c>.</param>
/// <param name="Status">The status to answer with; 503 by default.</param>
/// <param name="Times">How many requests to strike; null strikes every matching request until the rule is cleared.</param>
/// <param name="DelayMilliseconds">For <see cref="FaultTiming.Delay"/>: how long the request waits.</param>
public sealed record FaultRule(string? Method, string Path, FaultTiming Timing = FaultTiming.Before, int Status = 503, int? Times = null, int DelayMilliseconds = 0);

/// <summary>The rules in force and how often each still strikes. Thread-safe: requests race for the last strike.</summary>
public sealed class FaultRules
{
    private readonly Lock _gate = new();
    private readonly List<ActiveRule> _rules = [];

    public void Add(FaultRule rule)
    {
        var active = new ActiveRule(rule, new Regex(rule.Path, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100)));
        lock (_gate)
        {
            _rules.Add(active);
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _rules.Clear();
        }
    }

    public IReadOnlyList<FaultRuleState> Snapshot()
    {
        lock (_gate)
        {
            return [.. _rules.Select(r => new FaultRuleState(r.Rule, r.Struck))];
        }
    }

    /// <summary>The rule that strikes this request, counting the strike; null when none does.</summary>
    public FaultRule? Strike(string method, string path)
    {
        lock (_gate)
        {
            foreach (var active in _rules)
            {
                if ((active.Rule.Method is null || string.Equals(active.Rule.Method, method, StringComparison.OrdinalIgnoreCase))
                    && active.Pattern.IsMatch(path)
                    && (active.Rule.Times is not { } times || active.Struck < times))
                {
                    active.Struck++;
                    return active.Rule;
                }
            }

            return null;
        }
    }

    private sealed class ActiveRule(FaultRule rule, Regex pattern)
    {
        public FaultRule Rule { get; } = rule;
        public Regex Pattern { get; } = pattern;
        public int Struck { get; set; }
    }
}

/// <summary>A rule and how many requests it has struck so far.</summary>
public sealed record FaultRuleState(FaultRule Rule, int Struck);
