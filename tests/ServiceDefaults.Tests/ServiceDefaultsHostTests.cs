using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace ServiceDefaults.Tests;

/// <summary>AddServiceDefaults on a bare service, without the SubscriberApp's endpoints.</summary>
public sealed class ServiceDefaultsHostTests
{
    [Fact]
    public async Task Listens_on_loopback_APP_PORT_when_no_urls_are_configured()
    {
        var port = TestHosts.UnusedPort();
        await using var app = await StartAsync(new() { ["APP_PORT"] = Invariant(port) });

        Assert.Equal([$"http://127.0.0.1:{port}"], Addresses(app));
        using var alive = await app.Client.GetAsync("/alive");
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
    }

    [Fact]
    public async Task Configured_urls_win_over_APP_PORT()
    {
        var appPort = TestHosts.UnusedPort();
        var urlsPort = TestHosts.UnusedPort();
        await using var app = await StartAsync(new()
        {
            ["APP_PORT"] = Invariant(appPort),
            ["urls"] = $"http://127.0.0.1:{urlsPort}",
        });

        Assert.Equal([$"http://127.0.0.1:{urlsPort}"], Addresses(app));
    }

    [Fact]
    public void An_APP_PORT_that_is_not_a_port_fails_the_build_naming_APP_PORT()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Build(new() { ["APP_PORT"] = "http" }));

        Assert.Contains("APP_PORT", error.Message);
    }

    [Fact]
    public async Task An_unhandled_exception_becomes_an_RFC_7807_problem_without_leaking_the_message()
    {
        await using var app = await StartAsync(new(), web => web.MapGet("/boom", string () => throw new InvalidOperationException("secret detail")));

        using var response = await app.Client.GetAsync("/boom");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStringAsync();
        var problem = JsonNode.Parse(body)!;
        Assert.Equal(500, (int)problem["status"]!);
        Assert.False(string.IsNullOrEmpty((string?)problem["title"]));
        Assert.False(string.IsNullOrEmpty((string?)problem["type"]));
        Assert.False(string.IsNullOrEmpty((string?)problem["traceId"]));
        Assert.DoesNotContain("secret detail", body);
    }

    [Fact]
    public async Task Without_a_collector_no_span_is_recorded_but_the_trace_context_still_flows()
    {
        var spans = new List<Activity>();
        await using var app = await StartAsync(
            new() { ["APP_ID"] = "orders" },
            configureServices: services => services
                .ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddProcessor(new SimpleActivityExportProcessor(new CollectingExporter<Activity>(spans)))));
        var instrumentation = app.App.Services.GetRequiredService<ServiceInstrumentation>();

        using (var activity = instrumentation.ActivitySource.StartActivity("place-order"))
        {
            Assert.NotNull(activity);
            Assert.NotEqual(default, activity.TraceId);
            Assert.False(activity.IsAllDataRequested);
        }

        (await app.Client.GetAsync("/not-a-probe")).Dispose();
        // The server's span ends after the response has gone out. A sampled request after it on the same connection is
        // served only once the first one is disposed of, so its span reaching the exporter means the first one has ended.
        using (var marker = new HttpRequestMessage(HttpMethod.Get, "/after-the-unsampled-one"))
        {
            marker.Headers.Add("traceparent", "00-5bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
            (await app.Client.SendAsync(marker)).Dispose();
        }

        await EndedSpanAsync(spans, s => s.Kind == ActivityKind.Server && s.TraceId.ToHexString() == "5bf92f3577b34da6a3ce929d0e0e4736");
        app.App.Services.GetRequiredService<TracerProvider>().ForceFlush();

        // Only this test's own span and request: the ASP.NET Core and HttpClient sources are process-wide, so the
        // provider also sees the requests of test classes running in parallel, and sampled ones among them are recorded.
        lock (spans)
        {
            Assert.DoesNotContain(spans, s => s.DisplayName == "place-order" || s.GetTagItem("url.path") as string == "/not-a-probe");
        }
    }

    [Fact]
    public async Task Without_a_collector_a_request_from_a_sampled_caller_is_still_recorded_in_the_callers_trace()
    {
        var spans = new List<Activity>();
        await using var app = await StartAsync(
            new() { ["APP_ID"] = "orders" },
            configureServices: services => services
                .ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddProcessor(new SimpleActivityExportProcessor(new CollectingExporter<Activity>(spans)))));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/not-a-probe");
        request.Headers.Add("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");

        (await app.Client.SendAsync(request)).Dispose();

        // Found by its trace id: test classes running in parallel make spans that this provider sees too.
        var server = await EndedSpanAsync(spans, s => s.Kind == ActivityKind.Server && s.TraceId.ToHexString() == "4bf92f3577b34da6a3ce929d0e0e4736");
        Assert.Equal("/not-a-probe", server.GetTagItem("url.path"));
        Assert.True(server.Recorded);
    }

    [Fact]
    public async Task Service_instrumentation_is_named_after_APP_ID_and_exported_by_this_service_providers()
    {
        var spans = new List<Activity>();
        var metrics = new List<Metric>();
        await using var app = await StartAsync(
            // Without an OTLP endpoint nothing is sampled unless asked; this test's collector stands in for one.
            new() { ["APP_ID"] = "orders", ["OTEL_TRACES_SAMPLER"] = "always_on" },
            configureServices: services => services
                .ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddProcessor(new SimpleActivityExportProcessor(new CollectingExporter<Activity>(spans))))
                .ConfigureOpenTelemetryMeterProvider(meters => meters.AddReader(new BaseExportingMetricReader(new CollectingExporter<Metric>(metrics)))));
        var instrumentation = app.App.Services.GetRequiredService<ServiceInstrumentation>();

        using (instrumentation.ActivitySource.StartActivity("place-order"))
        {
            instrumentation.Meter.CreateCounter<long>("orders.placed").Add(1);
        }

        (await app.Client.GetAsync("/alive")).Dispose();
        (await app.Client.GetAsync("/not-a-probe")).Dispose();
        await EndedSpanAsync(spans, s => s.Kind == ActivityKind.Server && s.GetTagItem("url.path") as string == "/not-a-probe");
        app.App.Services.GetRequiredService<TracerProvider>().ForceFlush();
        app.App.Services.GetRequiredService<MeterProvider>().ForceFlush();

        Assert.Equal("Dapr.Services.orders", instrumentation.Name);
        lock (spans)
        {
            var own = Assert.Single(spans, s => s.Source.Name == "Dapr.Services.orders");
            Assert.Equal("place-order", own.DisplayName);
            // Probes are filtered out of traces; other requests are not.
            Assert.DoesNotContain(spans, s => s.Kind == ActivityKind.Server && s.GetTagItem("url.path") as string == "/alive");
            Assert.Contains(spans, s => s.Kind == ActivityKind.Server && s.GetTagItem("url.path") as string == "/not-a-probe");
        }

        lock (metrics)
        {
            Assert.Contains(metrics, m => m.MeterName == "Dapr.Services.orders" && m.Name == "orders.placed");
        }

        var resource = app.App.Services.GetRequiredService<TracerProvider>().GetResource();
        Assert.Equal("orders", resource.Attributes.Single(a => a.Key == "service.name").Value);
    }

    /// <summary>
    /// The first span that matches, once it has ended. The server's span ends after the response has gone out, so the
    /// client can have the response in hand a moment before the span reaches the exporter.
    /// </summary>
    private static async Task<Activity> EndedSpanAsync(List<Activity> spans, Func<Activity, bool> match)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            lock (spans)
            {
                if (spans.FirstOrDefault(match) is { } span)
                {
                    return span;
                }
            }

            Assert.True(DateTime.UtcNow < deadline, "no such span was exported within 10 s");
            await Task.Delay(20);
        }
    }

    private static string Invariant(int port) => port.ToString(CultureInfo.InvariantCulture);

    private static string[] Addresses(RunningApp app) =>
        [.. app.App.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses];

    private static WebApplication Build(
        Dictionary<string, string?> config,
        Action<WebApplication>? map = null,
        Action<IServiceCollection>? configureServices = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ApplicationName = "defaults-under-test",
            // Development would put the developer exception page in front of the problem details handler.
            EnvironmentName = Environments.Production,
        });
        var settings = new Dictionary<string, string?>
        {
            ["DAPR_HTTP_PORT"] = Invariant(TestHosts.UnusedPort()),
            ["urls"] = "http://127.0.0.1:0",
        };
        if (config.ContainsKey("APP_PORT"))
        {
            settings.Remove("urls");
        }

        foreach (var (key, value) in config)
        {
            settings[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddServiceDefaults();
        configureServices?.Invoke(builder.Services);

        var app = builder.Build();
        app.MapDefaultEndpoints();
        map?.Invoke(app);
        return app;
    }

    private static Task<RunningApp> StartAsync(
        Dictionary<string, string?> config,
        Action<WebApplication>? map = null,
        Action<IServiceCollection>? configureServices = null) =>
        RunningApp.StartAsync(Build(config, map, configureServices));

    private sealed class CollectingExporter<T>(List<T> sink) : BaseExporter<T> where T : class
    {
        public override ExportResult Export(in Batch<T> batch)
        {
            lock (sink)
            {
                foreach (var item in batch)
                {
                    sink.Add(item);
                }
            }

            return ExportResult.Success;
        }
    }
}
