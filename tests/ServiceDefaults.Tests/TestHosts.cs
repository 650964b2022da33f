using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using SubscriberApp;

namespace ServiceDefaults.Tests;

internal static class TestHosts
{
    /// <summary>
    /// A loopback port nobody listens on: bound by the OS, then released. Good enough to point the Dapr
    /// HTTP endpoint at "no sidecar" without depending on whatever runs on 3500 on this machine.
    /// </summary>
    public static int UnusedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Starts the SubscriberApp in-process on a free port with no sidecar behind it.</summary>
    public static async Task<RunningApp> StartSubscriberAppAsync(IDictionary<string, string?>? config = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["APP_ID"] = "subscriber-app",
            ["DAPR_HTTP_PORT"] = UnusedPort().ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in config ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        return await RunningApp.StartAsync(SubscriberAppHost.Build([], port: 0, settings));
    }
}

/// <summary>A started WebApplication and a client pointed at the address it actually bound.</summary>
internal sealed class RunningApp : IAsyncDisposable
{
    private RunningApp(WebApplication app, Uri baseAddress)
    {
        App = app;
        BaseAddress = baseAddress;
        // The apps run in this process, so their HttpClient tracing would rewrite the traceparent a test sends
        // as if the test were a traced caller. A test speaks for the sidecar and its headers must arrive as set.
        Client = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = null }) { BaseAddress = baseAddress };
    }

    public WebApplication App { get; }

    public Uri BaseAddress { get; }

    public HttpClient Client { get; }

    public static async Task<RunningApp> StartAsync(WebApplication app)
    {
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        return new RunningApp(app, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        // Stop first so requests still in flight get their answer before the client goes away.
        await App.StopAsync();
        await App.DisposeAsync();
        Client.Dispose();
    }
}

/// <summary>One SubscriberApp shared by the tests of a class; they use unique event ids so they do not see each other.</summary>
public sealed class SubscriberAppFixture : IAsyncLifetime
{
    private RunningApp? _app;

    internal RunningApp App => _app ?? throw new InvalidOperationException("The fixture has not started.");

    public HttpClient Client => App.Client;

    public async Task InitializeAsync() => _app = await TestHosts.StartSubscriberAppAsync();

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
