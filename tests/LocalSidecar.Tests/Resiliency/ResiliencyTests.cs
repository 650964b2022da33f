using LocalSidecar.Components;
using LocalSidecar.Resiliency;
using LocalSidecar.Subscriptions;
using LocalSidecar.Tests.Subscriptions;
using Microsoft.Extensions.Logging.Abstractions;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace LocalSidecar.Tests.Resiliency;

public sealed class ResiliencyTests
{
    private const string File = "/resources/resiliency.yaml";

    private static ResiliencyDefinition Parse(string yaml) => ResiliencyResourceParser.Parse(SubscriptionResourceParserTests.Yaml(yaml), File);

    private static ResiliencyPolicies Policies(string yaml, string appId = "checkout")
        => ResiliencyPolicies.Combine([Parse(yaml)], appId, NullLoggerFactory.Instance);

    private static async Task<(int Attempts, Exception? Error)> RunAsync(ResiliencePolicy policy, Func<int, Exception?> outcome)
    {
        var attempts = 0;
        try
        {
            await policy.ExecuteAsync(_ =>
            {
                var error = outcome(++attempts);
                return error is null ? ValueTask.CompletedTask : ValueTask.FromException(error);
            }, CancellationToken.None);
            return (attempts, null);
        }
        catch (Exception e)
        {
            return (attempts, e);
        }
    }

    [Fact]
    public void the_documented_example_is_read_with_every_policy_kind_and_target()
    {
        var definition = Parse("""
            apiVersion: dapr.io/v1alpha1
            kind: Resiliency
            metadata:
              name: myresiliency
            scopes:
              - checkout
            spec:
              policies:
                timeouts:
                  general: 5s
                  important: 60s
                  quick: 500
                retries:
                  pubsubRetry:
                    policy: constant
                    duration: 5s
                    maxRetries: 10
                  retryForever:
                    policy: exponential
                    maxInterval: 15s
                    maxRetries: -1
                  onlyServerErrors:
                    policy: constant
                    matching:
                      httpStatusCodes: 429,500-599
                      gRPCStatusCodes: 1-4,8-11,13,14
                circuitBreakers:
                  simpleCB:
                    maxRequests: 1
                    timeout: 30s
                    trip: consecutiveFailures >= 5
                  pubsubCB:
                    maxRequests: 1
                    interval: 8s
                    timeout: 45s
                    trip: consecutiveFailures > 8
              targets:
                apps:
                  appB:
                    timeout: general
                    retry: important
                    circuitBreaker: simpleCB
                    circuitBreakerCacheSize: 100
                actors:
                  myActorType:
                    timeout: general
                    retry: important
                    circuitBreaker: simpleCB
                    circuitBreakerScope: both
                    circuitBreakerCacheSize: 5000
                components:
                  statestore1:
                    outbound:
                      timeout: general
                      retry: retryForever
                      circuitBreaker: simpleCB
                  pubsub:
                    inbound:
                      timeout: general
                      retry: pubsubRetry
                      circuitBreaker: pubsubCB
            """);

        Assert.Equal("myresiliency", definition.Name);
        Assert.Equal(["checkout"], definition.Scopes);
        Assert.Equal(TimeSpan.FromMilliseconds(500), definition.Timeouts["quick"]); // bare number = milliseconds
        Assert.Equal(new RetryPolicyDefinition(RetryBackoff.Constant, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(60), 10, null, null), definition.Retries["pubsubRetry"]);
        Assert.Equal(RetryBackoff.Exponential, definition.Retries["retryForever"].Policy);
        Assert.Equal(-1, definition.Retries["retryForever"].MaxRetries);
        Assert.True(definition.Retries["onlyServerErrors"].HttpStatusCodes!.Contains(503));
        Assert.False(definition.Retries["onlyServerErrors"].HttpStatusCodes!.Contains(404));
        Assert.True(definition.Retries["onlyServerErrors"].GrpcStatusCodes!.Contains(14));
        Assert.Equal(new CircuitBreakerDefinition("pubsubCB", 1, TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(45), "consecutiveFailures > 8"), definition.CircuitBreakers["pubsubCB"]);
        Assert.Equal(new PolicyNames("general", "pubsubRetry", "pubsubCB"), definition.Components["pubsub"].Inbound);
        Assert.Equal(PolicyNames.None, definition.Components["pubsub"].Outbound);
        Assert.Equal("both", definition.Actors["myActorType"].CircuitBreakerScope);
        Assert.Equal(new PolicyNames("general", "important", "simpleCB"), definition.Apps["appB"]);
    }

    [Theory]
    [InlineData("spec.policies.retries.r.maxRetry", "retries: {r: {maxRetry: 3}}")]
    [InlineData("spec.policies.retries.r.policy", "retries: {r: {policy: linear}}")]
    [InlineData("spec.policies.circuitBreakers.cb.trip", "circuitBreakers: {cb: {trip: 'consecutiveFailures >'}}")]
    [InlineData("spec.policies.timeouts.t", "timeouts: {t: soon}")]
    [InlineData("spec.policies.retries.r.matching.httpStatusCodes", "retries: {r: {matching: {httpStatusCodes: '500-99'}}}")]
    public void a_bad_policy_names_the_file_and_field(string field, string policies)
    {
        var error = Assert.Throws<ResourceException>(() => Parse($"apiVersion: dapr.io/v1alpha1\nkind: Resiliency\nmetadata: {{name: r}}\nspec:\n  policies:\n    {policies}"));

        Assert.Equal(File, error.File);
        Assert.Contains($"'{field}'", error.Message);
    }

    [Fact]
    public void a_target_naming_an_undefined_policy_is_refused()
    {
        var error = Assert.Throws<ResourceException>(() => Policies("""
            apiVersion: dapr.io/v1alpha1
            kind: Resiliency
            metadata: {name: r}
            spec:
              policies:
                retries:
                  retryThree: {maxRetries: 3}
              targets:
                components:
                  pubsub:
                    inbound: {retry: retryTree}
            """));

        Assert.Contains("spec.targets.components.pubsub.inbound.retry", error.Message);
        Assert.Contains("retryTree", error.Message);
    }

    [Fact]
    public async Task a_constant_retry_policy_runs_the_delivery_once_plus_max_retries()
    {
        var policies = Policies("""
            apiVersion: dapr.io/v1alpha1
            kind: Resiliency
            metadata: {name: r}
            spec:
              policies:
                retries:
                  three: {policy: constant, duration: 10ms, maxRetries: 3}
              targets:
                components:
                  orders-pubsub:
                    inbound: {retry: three}
            """);

        var (attempts, error) = await RunAsync(policies.ComponentInbound("orders-pubsub", ComponentKinds.Pubsub), _ => new AppDeliveryException("RETRY", null));

        Assert.Equal(4, attempts);
        Assert.IsType<AppDeliveryException>(error);
    }

    [Fact]
    public async Task without_any_policy_a_delivery_is_tried_once()
    {
        var (attempts, error) = await RunAsync(ResiliencyPolicies.None.ComponentInbound("orders-pubsub", ComponentKinds.Pubsub), _ => new AppDeliveryException("500", 500));

        Assert.Equal(1, attempts);
        Assert.NotNull(error);
    }

    [Fact]
    public async Task a_status_outside_the_matching_list_is_not_retried()
    {
        var policy = Policies("""
            apiVersion: dapr.io/v1alpha1
            kind: Resiliency
            metadata: {name: r}
            spec:
              policies:
                retries:
                  DefaultRetryPolicy: {duration: 1ms, maxRetries: 5, matching: {httpStatusCodes: "500-599"}}
            """).ComponentInbound("orders-pubsub", ComponentKinds.Pubsub);

        Assert.Equal(1, (await RunAsync(policy, _ => new AppDeliveryException("bad request", 400))).Attempts);
        Assert.Equal(6, (await RunAsync(policy, _ => new AppDeliveryException("unavailable", 503))).Attempts);
        Assert.Equal(6, (await RunAsync(policy, _ => new AppDeliveryException("RETRY status", null))).Attempts); // no code: always retried
    }

    [Fact]
    public async Task default_policies_are_looked_up_from_the_most_specific_name()
    {
        var policies = Policies("""
            apiVersion: dapr.io/v1alpha1
            kind: Resiliency
            metadata: {name: r}
            spec:
              policies:
                retries:
                  DefaultRetryPolicy: {duration: 1ms, maxRetries: 1}
                  DefaultComponentRetryPolicy: {duration: 1ms, maxRetries: 2}
                  DefaultComponentInboundRetryPolicy: {duration: 1ms, maxRetries: 3}
                  DefaultPubsubComponentInboundRetryPolicy: {duration: 1ms, maxRetries: 4}
                  DefaultStatestoreComponentOutboundRetryPolicy: {duration: 1ms, maxRetries: 7}
                  targeted: {duration: 1ms, maxRetries: 0}
              targets:
                components:
                  named-pubsub:
                    outbound: {retry: targeted}
            """);

        static Exception Fail(int _) => new AppDeliveryException("x", 500);
        Assert.Equal(5, (await RunAsync(policies.ComponentInbound("any-pubsub", ComponentKinds.Pubsub), Fail)).Attempts);
        Assert.Equal(4, (await RunAsync(policies.ComponentInbound("some-binding", ComponentKinds.Binding), Fail)).Attempts);
        Assert.Equal(3, (await RunAsync(policies.ComponentOutbound("any-pubsub", ComponentKinds.Pubsub), Fail)).Attempts);
        Assert.Equal(8, (await RunAsync(policies.ComponentOutbound("state", ComponentKinds.Statestore), Fail)).Attempts);
        // A named target wins outright, and what it leaves out is NOT filled from the defaults (daprd's rule).
        Assert.Equal(1, (await RunAsync(policies.ComponentOutbound("named-pubsub", ComponentKinds.Pubsub), Fail)).Attempts);
        Assert.Equal(1, (await RunAsync(policies.ComponentInbound("named-pubsub", ComponentKinds.Pubsub), Fail)).Attempts);
    }

    [Fact]
    public void a_document_scoped_to_another_app_does_not_apply()
    {
        var policies = Policies("""
            apiVersion: dapr.io/v1alpha1
            kind: Resiliency
            metadata: {name: r}
            scopes: [billing]
            spec:
              policies:
                retries:
                  DefaultRetryPolicy: {maxRetries: 3}
            """, appId: "checkout");

        Assert.Null(policies.ComponentInbound("p", ComponentKinds.Pubsub).Retry);
    }

    [Fact]
    public async Task a_per_attempt_timeout_cuts_a_slow_delivery_and_is_retried()
    {
        var policy = Policies("""
            apiVersion: dapr.io/v1alpha1
            kind: Resiliency
            metadata: {name: r}
            spec:
              policies:
                timeouts: {DefaultTimeoutPolicy: 50ms}
                retries: {DefaultRetryPolicy: {duration: 1ms, maxRetries: 2}}
            """).ComponentInbound("p", ComponentKinds.Pubsub);

        var attempts = 0;
        var error = await Assert.ThrowsAsync<TimeoutRejectedException>(() => policy.ExecuteAsync(async token =>
        {
            Interlocked.Increment(ref attempts);
            await Task.Delay(TimeSpan.FromSeconds(5), token);
        }, CancellationToken.None));

        Assert.Equal(3, attempts);
        Assert.NotNull(error);
    }

    [Fact]
    public async Task a_breaker_opens_after_consecutive_failures_rejects_then_half_opens_and_closes_again()
    {
        var policy = Policies("""
            apiVersion: dapr.io/v1alpha1
            kind: Resiliency
            metadata: {name: r}
            spec:
              policies:
                circuitBreakers:
                  cb: {maxRequests: 1, timeout: 300ms, trip: consecutiveFailures > 2}
              targets:
                components:
                  p:
                    inbound: {circuitBreaker: cb}
            """).ComponentInbound("p", ComponentKinds.Pubsub);

        for (var i = 0; i < 3; i++)
        {
            Assert.IsType<AppDeliveryException>((await RunAsync(policy, _ => new AppDeliveryException("x", 500))).Error);
        }

        var rejected = await RunAsync(policy, _ => null);
        Assert.Equal(0, rejected.Attempts);
        Assert.IsType<BrokenCircuitException>(rejected.Error);

        await Task.Delay(400);
        Assert.Equal((1, (Exception?)null), await RunAsync(policy, _ => null)); // half-open lets one through; success closes
        Assert.Equal((1, (Exception?)null), await RunAsync(policy, _ => null));
    }

    [Fact]
    public async Task an_open_breaker_stops_the_retries_at_once()
    {
        var policy = Policies("""
            apiVersion: dapr.io/v1alpha1
            kind: Resiliency
            metadata: {name: r}
            spec:
              policies:
                retries: {forever: {duration: 1ms, maxRetries: -1}}
                circuitBreakers: {cb: {trip: consecutiveFailures >= 3, timeout: 60s}}
              targets:
                components:
                  p:
                    inbound: {retry: forever, circuitBreaker: cb}
            """).ComponentInbound("p", ComponentKinds.Pubsub);

        var (attempts, error) = await RunAsync(policy, _ => new AppDeliveryException("x", 500));

        Assert.Equal(3, attempts);
        Assert.IsType<BrokenCircuitException>(error);
    }
}
