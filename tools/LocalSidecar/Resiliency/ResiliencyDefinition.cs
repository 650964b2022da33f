namespace LocalSidecar.Resiliency;

/// <summary>One <c>kind: Resiliency</c> document (<c>dapr.io/v1alpha1</c>) as written, before documents are merged.</summary>
public sealed record ResiliencyDefinition(
    string Name,
    string SourceFile,
    IReadOnlyList<string> Scopes,
    IReadOnlyDictionary<string, TimeSpan> Timeouts,
    IReadOnlyDictionary<string, RetryPolicyDefinition> Retries,
    IReadOnlyDictionary<string, CircuitBreakerDefinition> CircuitBreakers,
    IReadOnlyDictionary<string, PolicyNames> Apps,
    IReadOnlyDictionary<string, ActorPolicyNames> Actors,
    IReadOnlyDictionary<string, ComponentPolicyNames> Components)
{
    /// <summary>An empty or missing <c>scopes</c> list means every app loads the document; the match is exact.</summary>
    public bool AppliesTo(string appId) => Scopes.Count == 0 || Scopes.Contains(appId, StringComparer.Ordinal);
}

/// <summary>Policy names a target refers to; null means "none of this kind".</summary>
public sealed record PolicyNames(string? Timeout, string? Retry, string? CircuitBreaker)
{
    public static PolicyNames None { get; } = new(null, null, null);
}

public sealed record ActorPolicyNames(PolicyNames Policies, string? CircuitBreakerScope);

/// <summary><c>inbound</c> is sidecar → app (pub/sub delivery, input bindings); <c>outbound</c> is sidecar → component.</summary>
public sealed record ComponentPolicyNames(PolicyNames Inbound, PolicyNames Outbound);

public enum RetryBackoff
{
    Constant,
    Exponential,
}

/// <summary>
/// A retry policy with dapr/kit's defaults: constant 5 s, unlimited retries (-1), exponential from 500 ms by ×1.5 with
/// ±50 % jitter up to <see cref="MaxInterval"/> (60 s), giving up after 15 minutes in total.
/// </summary>
public sealed record RetryPolicyDefinition(
    RetryBackoff Policy,
    TimeSpan Duration,
    TimeSpan MaxInterval,
    long MaxRetries,
    StatusCodeRanges? HttpStatusCodes,
    StatusCodeRanges? GrpcStatusCodes)
{
    public static readonly TimeSpan DefaultDuration = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan DefaultMaxInterval = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan ExponentialInitialInterval = TimeSpan.FromMilliseconds(500);
    public const double ExponentialMultiplier = 1.5;
    public const double ExponentialRandomization = 0.5;
    public static readonly TimeSpan ExponentialMaxElapsed = TimeSpan.FromMinutes(15);

    public bool IsBounded => MaxRetries >= 0;
}

/// <summary>A gobreaker-style breaker: <see cref="Trip"/> is CEL over requests/totalSuccesses/totalFailures/consecutiveSuccesses/consecutiveFailures.</summary>
public sealed record CircuitBreakerDefinition(string Name, uint MaxRequests, TimeSpan Interval, TimeSpan Timeout, string Trip)
{
    public const string DefaultTrip = "consecutiveFailures > 5";
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);
}

/// <summary>Status-code allow-list such as <c>"429,500-599"</c>; a code outside it is not retried.</summary>
public sealed class StatusCodeRanges
{
    private readonly IReadOnlyList<(int Start, int End)> _ranges;

    private StatusCodeRanges(string text, IReadOnlyList<(int Start, int End)> ranges)
    {
        Text = text;
        _ranges = ranges;
    }

    public string Text { get; }

    public bool Contains(int code) => _ranges.Any(r => r.Start <= code && code <= r.End);

    /// <summary>Returns null for an empty pattern, which daprd reads as "retry every code".</summary>
    public static StatusCodeRanges? Parse(string text, int min, int max, out string? error)
    {
        error = null;
        var ranges = new List<(int, int)>();
        foreach (var part in text.Split(','))
        {
            if (part.Length == 0)
            {
                continue;
            }

            var bounds = part.Split('-');
            if (bounds.Length > 2 || !int.TryParse(bounds[0], out var start) || !int.TryParse(bounds[^1], out var end))
            {
                error = $"'{part}' is not a code or a range such as 500-599";
                return null;
            }

            if (start < min || start > max || end < min || end > max || end < start)
            {
                error = $"'{part}' is outside {min}-{max} or its start is above its end";
                return null;
            }

            ranges.Add((start, end));
        }

        return ranges.Count == 0 ? null : new StatusCodeRanges(text, ranges);
    }

    public override string ToString() => Text;
}
