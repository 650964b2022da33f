using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Benchmarks.Services.Cdc;

/// <summary>When an event arrived, and the commit time the relay put in it (the WAL's, from PostgreSQL's clock).</summary>
public readonly record struct CdcArrival(long ArrivalTimestamp, DateTime ArrivalUtc, DateTime CommittedAtUtc);

/// <summary>
/// Matches the customer events that arrive to the updates the benchmark made. Each update writes the name
/// <c>bench-{seq}</c>, which the event carries back in its data, so no table of ids is needed.
/// </summary>
public sealed class CdcArrivals
{
    public const string NamePrefix = "bench-";
    private readonly ConcurrentDictionary<long, TaskCompletionSource<CdcArrival>> _waiting = new();
    private long _others;

    /// <summary>Events that were not benchmark updates: the seed customers' <c>customer.created.v1</c>, redeliveries.</summary>
    public long Others => Interlocked.Read(ref _others);

    public static string NameOf(long seq) => NamePrefix + seq.ToString(CultureInfo.InvariantCulture);

    public Task<CdcArrival> Expect(long seq)
    {
        var arrival = new TaskCompletionSource<CdcArrival>(TaskCreationOptions.RunContinuationsAsynchronously);
        return _waiting.TryAdd(seq, arrival) ? arrival.Task : throw new InvalidOperationException($"update {seq} is already awaited");
    }

    public void Forget(long seq) => _waiting.TryRemove(seq, out _);

    public void Arrived(string name, CdcArrival arrival)
    {
        if (name.StartsWith(NamePrefix, StringComparison.Ordinal)
            && long.TryParse(name.AsSpan(NamePrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var seq)
            && _waiting.TryRemove(seq, out var waiting))
        {
            waiting.TrySetResult(arrival);
        }
        else
        {
            Interlocked.Increment(ref _others);
        }
    }
}

/// <summary>
/// The consumer end of the CDC pipeline, in this process as platform's BenchSubscriberApp: <c>GET /dapr/subscribe</c>
/// names topic <c>customers</c>; the route takes the arrival time first, then parses the CloudEvent and hands both to
/// <see cref="CdcArrivals"/>. Answers 200, which the sidecar reads as SUCCESS.
/// </summary>
public sealed class CdcSubscriberApp : IAsyncDisposable
{
    public const string Route = "/cdc/customers";
    private readonly WebApplication _app;

    private CdcSubscriberApp(WebApplication app) => _app = app;

    public static async Task<CdcSubscriberApp> StartAsync(int port, string pubsubName, string topic, CdcArrivals arrivals, CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, o => o.Protocols = HttpProtocols.Http1));
        var app = builder.Build();
        var subscriptions = JsonSerializer.Serialize(new[] { new { pubsubname = pubsubName, topic, route = Route } });
        app.MapGet("/dapr/subscribe", () => Results.Text(subscriptions, "application/json"));
        app.MapPost(Route, async (HttpRequest request) =>
        {
            var timestamp = Stopwatch.GetTimestamp();
            var utc = DateTime.UtcNow;
            using var cloudEvent = await JsonDocument.ParseAsync(request.Body, cancellationToken: request.HttpContext.RequestAborted).ConfigureAwait(false);
            var data = cloudEvent.RootElement.GetProperty("data");
            // customer.deleted.v1 has no name; the benchmark deletes nothing, so any such event counts among the others.
            var name = data.TryGetProperty("name", out var n) ? n.GetString() ?? "" : "";
            arrivals.Arrived(name, new CdcArrival(timestamp, utc, data.GetProperty("committedAt").GetDateTimeOffset().UtcDateTime));
            return Results.Ok();
        });
        await app.StartAsync(ct).ConfigureAwait(false);
        return new CdcSubscriberApp(app);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
