using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace LocalSidecar.Resiliency;

/// <summary>An error that carries the status code a retry policy's <c>matching</c> list is checked against.</summary>
public interface IStatusCodeError
{
    int? HttpStatusCode { get; }

    int? GrpcStatusCode { get; }
}

/// <summary>
/// One resolved policy (timeout, retry, breaker) as a Polly pipeline, nested like daprd's runner: the retry wraps the
/// breaker, which wraps a per-attempt timeout. No policy at all means one attempt.
/// </summary>
public sealed class ResiliencePolicy
{
    private static readonly ResiliencePropertyKey<DateTimeOffset> StartedAt = new("local-daprd.started-at");

    private readonly ResiliencePipeline _pipeline;
    private readonly TimeProvider _time;

    private ResiliencePolicy(string name, ResiliencePipeline pipeline, RetryPolicyDefinition? retry, TimeProvider time)
    {
        Name = name;
        _pipeline = pipeline;
        Retry = retry;
        _time = time;
    }

    public string Name { get; }

    public RetryPolicyDefinition? Retry { get; }

    public bool HasBoundedRetries => Retry is { IsBounded: true, MaxRetries: > 0 };

    public static ResiliencePolicy Build(string name, TimeSpan? timeout, RetryPolicyDefinition? retry, TripCircuitBreaker? breaker, TimeProvider time)
    {
        if (timeout is null && retry is null && breaker is null)
        {
            return new ResiliencePolicy(name, ResiliencePipeline.Empty, null, time);
        }

        var builder = new ResiliencePipelineBuilder { Name = name, TimeProvider = time };
        if (retry is { MaxRetries: not 0 })
        {
            builder.AddRetry(RetryOptions(retry, time));
        }

        if (breaker is not null)
        {
            builder.AddStrategy(_ => new TripCircuitBreakerStrategy(breaker), new EmptyOptions());
        }

        if (timeout is { } perAttempt)
        {
            builder.AddTimeout(perAttempt);
        }

        return new ResiliencePolicy(name, builder.Build(), retry, time);
    }

    /// <summary>True when <paramref name="exception"/> is one the retry policy does not retry (a status outside <c>matching</c>).</summary>
    public bool IsExcludedFromRetry(Exception exception) => Retry is not null && !MatchesRetryCodes(Retry, exception);

    public async Task ExecuteAsync(Func<CancellationToken, ValueTask> operation, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        try
        {
            context.Properties.Set(StartedAt, _time.GetUtcNow());
            await _pipeline.ExecuteAsync(static (ctx, op) => op(ctx.CancellationToken), context, operation).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private static RetryStrategyOptions RetryOptions(RetryPolicyDefinition retry, TimeProvider time) => new()
    {
        MaxRetryAttempts = retry.MaxRetries < 0 || retry.MaxRetries > int.MaxValue ? int.MaxValue : (int)retry.MaxRetries,
        ShouldHandle = args => ValueTask.FromResult(ShouldRetry(retry, args.Outcome.Exception, args.Context, time)),
        DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(Delay(retry, args.AttemptNumber)),
    };

    private static bool ShouldRetry(RetryPolicyDefinition retry, Exception? exception, ResilienceContext context, TimeProvider time)
    {
        if (exception is null)
        {
            return false;
        }

        // An open breaker is final for this message (daprd wraps it as a permanent error), and a cancelled caller means
        // shutdown; neither is worth another attempt. A per-attempt timeout is, as in daprd.
        if (exception is BrokenCircuitException || (exception is OperationCanceledException && exception is not TimeoutRejectedException))
        {
            return false;
        }

        if (retry.Policy == RetryBackoff.Exponential
            && context.Properties.TryGetValue(StartedAt, out var started)
            && time.GetUtcNow() - started >= RetryPolicyDefinition.ExponentialMaxElapsed)
        {
            return false;
        }

        return MatchesRetryCodes(retry, exception);
    }

    private static bool MatchesRetryCodes(RetryPolicyDefinition retry, Exception exception)
    {
        if (exception is not IStatusCodeError coded)
        {
            return true;
        }

        if (coded.HttpStatusCode is { } http && retry.HttpStatusCodes is { } httpCodes)
        {
            return httpCodes.Contains(http);
        }

        if (coded.GrpcStatusCode is { } grpc && retry.GrpcStatusCodes is { } grpcCodes)
        {
            return grpcCodes.Contains(grpc);
        }

        return true;
    }

    /// <summary>cenkalti/backoff's schedule: constant, or 500 ms × 1.5ⁿ capped at maxInterval with ±50 % jitter.</summary>
    private static TimeSpan Delay(RetryPolicyDefinition retry, int attempt)
    {
        if (retry.Policy == RetryBackoff.Constant)
        {
            return retry.Duration;
        }

        var interval = RetryPolicyDefinition.ExponentialInitialInterval.TotalMilliseconds * Math.Pow(RetryPolicyDefinition.ExponentialMultiplier, attempt);
        var capped = Math.Min(interval, retry.MaxInterval.TotalMilliseconds);
        var jitter = 1 + (RetryPolicyDefinition.ExponentialRandomization * ((Random.Shared.NextDouble() * 2) - 1));
        return TimeSpan.FromMilliseconds(capped * jitter);
    }

    private sealed class EmptyOptions : ResilienceStrategyOptions;
}
