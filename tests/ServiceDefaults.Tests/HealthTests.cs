using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace ServiceDefaults.Tests;

public sealed class HealthTests(SubscriberAppFixture fixture) : IClassFixture<SubscriberAppFixture>
{
    [Fact]
    public async Task Alive_is_healthy_and_health_is_unhealthy_when_no_sidecar_listens()
    {
        using var alive = await fixture.Client.GetAsync("/alive");
        using var health = await fixture.Client.GetAsync("/health");

        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        Assert.Equal("Healthy", await alive.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Equal("Unhealthy", await health.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Sidecar_health_check_reports_unhealthy_with_the_connection_error_when_no_sidecar_listens()
    {
        var health = fixture.App.App.Services.GetRequiredService<HealthCheckService>();

        var report = await health.CheckHealthAsync(check => check.Name == DaprSidecarHealthCheck.Name);

        var entry = report.Entries[DaprSidecarHealthCheck.Name];
        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.IsType<HttpRequestException>(entry.Exception);
        Assert.Contains("not reachable", entry.Description);
        Assert.Contains(ServiceDefaultsExtensions.ReadyTag, entry.Tags);
    }

    [Fact]
    public async Task Health_is_healthy_when_the_sidecar_answers_healthz()
    {
        await using var sidecar = await FakeSidecar.StartAsync(HttpStatusCode.NoContent);
        await using var app = await TestHosts.StartSubscriberAppAsync(new Dictionary<string, string?>
        {
            ["DAPR_HTTP_ENDPOINT"] = sidecar.HttpEndpoint.ToString(),
        });

        using var health = await app.Client.GetAsync("/health");

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("Healthy", await health.Content.ReadAsStringAsync());
        Assert.Equal(1, sidecar.HealthzCalls);
    }

    [Fact]
    public async Task Health_is_unhealthy_when_the_sidecar_answers_healthz_with_an_error()
    {
        await using var sidecar = await FakeSidecar.StartAsync(HttpStatusCode.InternalServerError);
        await using var app = await TestHosts.StartSubscriberAppAsync(new Dictionary<string, string?>
        {
            ["DAPR_HTTP_PORT"] = sidecar.HttpEndpoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });

        var report = await app.App.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        Assert.Equal(HealthStatus.Unhealthy, report.Status);
        Assert.Equal(HealthStatus.Healthy, report.Entries["self"].Status);
        Assert.Contains("answered 500", report.Entries[DaprSidecarHealthCheck.Name].Description);
        Assert.Equal(1, sidecar.HealthzCalls);
    }
}
