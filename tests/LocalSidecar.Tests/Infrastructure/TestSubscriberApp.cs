using Dapr.Testing;
using SubscriberApp;

namespace LocalSidecar.Tests.Infrastructure;

/// <summary>The conformance tests' subscriber and invocation target, started in-process on a free port.</summary>
public sealed class TestSubscriberApp : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestSubscriberApp(WebApplication app, int port)
    {
        _app = app;
        Port = port;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
    }

    public int Port { get; }

    /// <summary>Talks to the app directly, bypassing the sidecar, to read what it recorded.</summary>
    public HttpClient Http { get; }

    public static async Task<TestSubscriberApp> StartAsync(IDictionary<string, string?>? config = null)
    {
        var port = FreePort.Next();
        var app = SubscriberAppHost.Build([], port, config);
        await app.StartAsync();
        return new TestSubscriberApp(app, port);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
