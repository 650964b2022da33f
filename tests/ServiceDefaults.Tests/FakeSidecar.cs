using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace ServiceDefaults.Tests;

/// <summary>
/// Stands in for daprd's health endpoint only, answering a fixed status, so the sidecar health check can be
/// proven against a real socket. Counts the paths it was asked for.
/// </summary>
internal sealed class FakeSidecar : IAsyncDisposable
{
    private readonly RunningApp _app;
    private int _healthzCalls;

    private FakeSidecar(RunningApp app) => _app = app;

    public Uri HttpEndpoint => _app.BaseAddress;

    public int HealthzCalls => Volatile.Read(ref _healthzCalls);

    public static async Task<FakeSidecar> StartAsync(HttpStatusCode healthzStatus)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        FakeSidecar? sidecar = null;
        app.MapGet("/v1.0/healthz", () =>
        {
            Interlocked.Increment(ref sidecar!._healthzCalls);
            return Results.StatusCode((int)healthzStatus);
        });
        sidecar = new FakeSidecar(await RunningApp.StartAsync(app));
        return sidecar;
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
