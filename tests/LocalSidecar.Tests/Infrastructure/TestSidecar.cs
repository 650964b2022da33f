using Dapr.Client;
using Dapr.Testing;
using LocalSidecar.Hosting;

namespace LocalSidecar.Tests.Infrastructure;

/// <summary>
/// A local sidecar started in-process on free ports with its own resources folder, and the real Dapr SDK client
/// pointed at it, exactly as an app would be configured by the Dapr CLI (DAPR_GRPC_ENDPOINT / DAPR_HTTP_ENDPOINT).
/// </summary>
public sealed class TestSidecar : IAsyncDisposable
{
    private TestSidecar(SidecarHost host, DaprClient client, HttpClient http, DirectoryInfo resources)
    {
        Host = host;
        Client = client;
        Http = http;
        Resources = resources;
    }

    public SidecarHost Host { get; }
    public DaprClient Client { get; }
    public HttpClient Http { get; }
    public DirectoryInfo Resources { get; }
    public string AppId => Host.Options.AppId;

    public static async Task<TestSidecar> StartAsync(
        string appId,
        IEnumerable<string> componentYaml,
        int? appPort = null,
        string? apiToken = null,
        string? appApiToken = null,
        string? nameResolutionDirectory = null,
        DirectoryInfo? resources = null)
    {
        resources ??= Directory.CreateTempSubdirectory("sidecar-resources-");
        var index = 0;
        foreach (var yaml in componentYaml)
        {
            await File.WriteAllTextAsync(Path.Combine(resources.FullName, $"component-{index++}.yaml"), yaml);
        }

        var options = new SidecarOptions
        {
            AppId = appId,
            AppPort = appPort,
            HttpPort = FreePort.Next(),
            GrpcPort = FreePort.Next(),
            ResourcesPaths = [resources.FullName],
            ApiToken = apiToken,
            AppApiToken = appApiToken,
            NameResolutionDirectory = nameResolutionDirectory ?? Path.Combine(resources.FullName, ".names"),
        };
        return await StartHostAsync(options, resources);
    }

    /// <summary>Stops this sidecar and starts a new one with the same identity, ports and resources, as after a crash.</summary>
    public async Task<TestSidecar> RestartAsync()
    {
        var options = Host.Options;
        await Host.DisposeAsync();
        Client.Dispose();
        Http.Dispose();
        return await StartHostAsync(options, Resources);
    }

    private static async Task<TestSidecar> StartHostAsync(SidecarOptions options, DirectoryInfo resources)
    {
        var host = await SidecarHost.StartAsync(options, logging => logging.SetMinimumLevel(LogLevel.Warning));
        var builder = new DaprClientBuilder().UseGrpcEndpoint(host.GrpcEndpoint).UseHttpEndpoint(host.HttpEndpoint);
        if (options.ApiToken is not null)
        {
            builder.UseDaprApiToken(options.ApiToken);
        }

        return new TestSidecar(host, builder.Build(), new HttpClient { BaseAddress = new Uri(host.HttpEndpoint) }, resources);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        Http.Dispose();
        await Host.DisposeAsync();
        Resources.Delete(recursive: true);
    }
}
