using LocalSidecar.Subscriptions;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;

namespace LocalSidecar.Resiliency;

/// <summary>
/// The circuit breaker daprd uses (sony/gobreaker driven by a CEL <c>trip</c> expression). Polly's own breaker trips on
/// a failure ratio over a sampling window and has no notion of "N failures in a row", so <c>consecutiveFailures &gt; 5</c>
/// cannot be expressed with it; this small state machine keeps gobreaker's counts and rules instead:
/// closed → open when <c>trip</c> is true after a failure; open → half-open after <c>timeout</c>; half-open lets
/// <c>maxRequests</c> calls through, closes after that many successes and reopens on any failure; <c>interval</c> &gt; 0
/// clears the counts periodically while closed. A trip expression that fails to evaluate never trips, as in daprd.
/// </summary>
public sealed class TripCircuitBreaker
{
    private readonly CircuitBreakerDefinition _definition;
    private readonly CelExpression _trip;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _name;
    private readonly Lock _gate = new();

    private BreakerState _state = BreakerState.Closed;
    private ulong _generation;
    private DateTimeOffset? _expiry;
    private Counts _counts;

    public TripCircuitBreaker(CircuitBreakerDefinition definition, string instanceName, TimeProvider time, ILogger logger)
    {
        _definition = definition;
        _trip = CelExpression.Compile(definition.Trip);
        _time = time;
        _logger = logger;
        _name = $"{definition.Name}-{instanceName}";
        StartGeneration(_time.GetUtcNow());
    }

    public enum BreakerState
    {
        Closed,
        HalfOpen,
        Open,
    }

    public BreakerState State
    {
        get
        {
            lock (_gate)
            {
                return CurrentState(_time.GetUtcNow());
            }
        }
    }

    /// <summary>Admits a call or throws <see cref="BrokenCircuitException"/>; the returned generation goes back in <see cref="Record"/>.</summary>
    public ulong Enter()
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var state = CurrentState(now);
            if (state == BreakerState.Open)
            {
                throw new BrokenCircuitException($"circuit breaker '{_name}' is open", _expiry!.Value - now);
            }

            if (state == BreakerState.HalfOpen && _counts.Requests >= _definition.MaxRequests)
            {
                throw new BrokenCircuitException($"circuit breaker '{_name}' is half-open and already has {_definition.MaxRequests} call(s) in flight");
            }

            _counts.Requests++;
            return _generation;
        }
    }

    public void Record(ulong generation, bool success)
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var state = CurrentState(now);
            if (generation != _generation)
            {
                // The call started before the breaker changed state; gobreaker ignores such late results too.
                return;
            }

            if (success)
            {
                _counts.TotalSuccesses++;
                _counts.ConsecutiveSuccesses++;
                _counts.ConsecutiveFailures = 0;
                if (state == BreakerState.HalfOpen && _counts.ConsecutiveSuccesses >= _definition.MaxRequests)
                {
                    SetState(BreakerState.Closed, now);
                }

                return;
            }

            _counts.TotalFailures++;
            _counts.ConsecutiveFailures++;
            _counts.ConsecutiveSuccesses = 0;
            if (state == BreakerState.HalfOpen || (state == BreakerState.Closed && ShouldTrip()))
            {
                SetState(BreakerState.Open, now);
            }
        }
    }

    private bool ShouldTrip()
    {
        var variables = new Dictionary<string, object?>
        {
            ["requests"] = _counts.Requests,
            ["totalSuccesses"] = _counts.TotalSuccesses,
            ["totalFailures"] = _counts.TotalFailures,
            ["consecutiveSuccesses"] = _counts.ConsecutiveSuccesses,
            ["consecutiveFailures"] = _counts.ConsecutiveFailures,
        };

        try
        {
            return _trip.EvaluateBoolean(variables);
        }
        catch (CelEvaluationException e)
        {
            _logger.LogWarning(e, "Circuit breaker {Breaker}: trip expression failed, so the breaker stays closed", _name);
            return false;
        }
    }

    private BreakerState CurrentState(DateTimeOffset now)
    {
        switch (_state)
        {
            case BreakerState.Closed when _expiry is { } expiry && expiry <= now:
                StartGeneration(now);
                break;
            case BreakerState.Open when _expiry is { } expiry && expiry <= now:
                SetState(BreakerState.HalfOpen, now);
                break;
        }

        return _state;
    }

    private void SetState(BreakerState state, DateTimeOffset now)
    {
        if (_state == state)
        {
            return;
        }

        var previous = _state;
        _state = state;
        StartGeneration(now);
        _logger.LogInformation("Circuit breaker {Breaker} changed state from {From} to {To}", _name, previous, state);
    }

    private void StartGeneration(DateTimeOffset now)
    {
        _generation++;
        _counts = default;
        _expiry = _state switch
        {
            BreakerState.Closed => _definition.Interval > TimeSpan.Zero ? now + _definition.Interval : null,
            BreakerState.Open => now + _definition.Timeout,
            _ => null,
        };
    }

    private struct Counts
    {
        public long Requests;
        public long TotalSuccesses;
        public long TotalFailures;
        public long ConsecutiveSuccesses;
        public long ConsecutiveFailures;
    }
}

/// <summary>Puts a <see cref="TripCircuitBreaker"/> into a Polly pipeline, between the retry and the per-attempt timeout.</summary>
internal sealed class TripCircuitBreakerStrategy(TripCircuitBreaker breaker) : ResilienceStrategy
{
    protected override async ValueTask<Outcome<TResult>> ExecuteCore<TResult, TState>(
        Func<ResilienceContext, TState, ValueTask<Outcome<TResult>>> callback,
        ResilienceContext context,
        TState state)
    {
        ulong generation;
        try
        {
            generation = breaker.Enter();
        }
        catch (BrokenCircuitException e)
        {
            return Outcome.FromException<TResult>(e);
        }

        var outcome = await callback(context, state).ConfigureAwait(context.ContinueOnCapturedContext);
        breaker.Record(generation, outcome.Exception is null);
        return outcome;
    }
}
