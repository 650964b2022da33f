using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using Dapr.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace LocalSidecar.Tests.Subscriptions;

/// <summary>What the app received: one POST from the sidecar.</summary>
public sealed record ReceivedPost(string Path, string? ContentType, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public JsonObject CloudEvent => JsonNode.Parse(Body)!.AsObject();
}

/// <summary>
/// A tiny app on Kestrel (a free port, real HTTP): serves a fixed <c>GET /dapr/subscribe</c> answer, records every
/// POST, and answers each POST with what <see cref="Answer"/> returns for its path.
/// </summary>
public sealed class RecordingApp : IAsyncDisposable
{
    private readonly WebApplication _app;

    private RecordingApp(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    public ConcurrentQueue<ReceivedPost> Posts { get; } = new();

    public ConcurrentQueue<IReadOnlyDictionary<string, string>> SubscribeRequests { get; } = new();

    /// <summary>Status code and body per request path; 200 with an empty body by default.</summary>
    public Func<ReceivedPost, (int Status, string Body)> Answer { get; set; } = _ => (200, "");

    public IReadOnlyList<ReceivedPost> PostsTo(string path) => Posts.Where(p => p.Path == path).ToList();

    public static async Task<RecordingApp> StartAsync(string? subscribeJson, int? port = null)
    {
        var chosenPort = port ?? FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{chosenPort}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var recording = new RecordingApp(app, chosenPort);

        app.MapGet("/dapr/subscribe", (HttpContext context) =>
        {
            recording.SubscribeRequests.Enqueue(context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase));
            return subscribeJson is null ? Results.NotFound() : Results.Text(subscribeJson, "application/json");
        });
        app.MapPost("/{**path}", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            var post = new ReceivedPost(
                context.Request.Path.Value!.TrimStart('/'),
                context.Request.ContentType,
                context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
                body.ToArray());
            recording.Posts.Enqueue(post);
            var (status, text) = recording.Answer(post);
            context.Response.StatusCode = status;
            if (text.Length > 0)
            {
                context.Response.ContentType = "application/json";
                await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(text));
            }
        });

        await app.StartAsync();
        return recording;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
