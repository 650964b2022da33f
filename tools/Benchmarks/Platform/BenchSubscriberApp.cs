using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Benchmarks.Platform;

/// <summary>
/// The smallest app the sidecar can deliver to, in this process: <c>GET /dapr/subscribe</c> names one topic, and the
/// topic's route reads the CloudEvent, takes the arrival time and hands it to the <see cref="DeliveryTracker"/>.
/// It answers 200 with no body, which daprd reads as SUCCESS.
/// </summary>
public sealed class BenchSubscriberApp : IAsyncDisposable
{
    public const string Route = "/bench/deliveries";
    private readonly WebApplication _app;

    private BenchSubscriberApp(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    public static async Task<BenchSubscriberApp> StartAsync(int port, string pubsubName, string topic, DeliveryTracker tracker, CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, o => o.Protocols = HttpProtocols.Http1));
        var app = builder.Build();
        var subscriptions = JsonSerializer.Serialize(new[] { new { pubsubname = pubsubName, topic, route = Route } });
        app.MapGet("/dapr/subscribe", () => Results.Text(subscriptions, "application/json"));
        app.MapPost(Route, async (HttpRequest request) =>
        {
            using var cloudEvent = await JsonDocument.ParseAsync(request.Body, cancellationToken: request.HttpContext.RequestAborted).ConfigureAwait(false);
            var seq = cloudEvent.RootElement.GetProperty("data").GetProperty("seq").GetInt64();
            tracker.Arrived(seq, Stopwatch.GetTimestamp());
            return Results.Ok();
        });
        await app.StartAsync(ct).ConfigureAwait(false);
        return new BenchSubscriberApp(app, port);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
