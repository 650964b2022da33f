using Dapr;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Readiness: the app is of little use while its sidecar is down, since state, pub/sub and invocation
/// all go through it. Asks the sidecar's <c>GET /v1.0/healthz</c> at the Dapr HTTP endpoint.
/// </summary>
public sealed class DaprSidecarHealthCheck(IHttpClientFactory httpClientFactory, IConfiguration configuration) : IHealthCheck
{
    public const string Name = "dapr-sidecar";
    public const string HttpClientName = "dapr-sidecar-health";
    public const string HealthPath = "/v1.0/healthz";

    /// <summary>A probe that waits longer than this tells the orchestrator nothing it can act on.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        // Same resolution as AddDaprClient: DAPR_HTTP_ENDPOINT, then DAPR_HTTP_PORT, from configuration then env.
        var endpoint = new Uri(DaprDefaults.GetDefaultHttpEndpoint(configuration));
        var healthz = new Uri(endpoint, HealthPath);
        var client = httpClientFactory.CreateClient(HttpClientName);

        try
        {
            using var response = await client.GetAsync(healthz, cancellationToken);
            return response.IsSuccessStatusCode
                ? HealthCheckResult.Healthy($"Dapr sidecar at {endpoint} is healthy.")
                : new HealthCheckResult(context.Registration.FailureStatus,
                    $"Dapr sidecar at {endpoint} answered {(int)response.StatusCode} to {HealthPath}.");
        }
        catch (HttpRequestException ex)
        {
            // Not swallowed: the exception travels in the result and shows up in the health report and logs.
            return new HealthCheckResult(context.Registration.FailureStatus,
                $"Dapr sidecar at {endpoint} is not reachable.", ex);
        }
    }
}
