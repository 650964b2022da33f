using Dapr.Testing;
using Dapr.Testing.Apps;
using Benchmarks.Platform;

namespace Benchmarks.Services;

/// <summary>
/// One service of the system as the Dapr CLI runs it: its Release build (<c>services/{name}/bin/Release/net10.0</c>,
/// built with the benchmark, see Benchmarks.csproj) as a process beside a local sidecar process (<see cref="DaprApp"/>,
/// the same start-up the services' own tests use). The app runs as Production with warnings-only logging, so neither
/// per-request log lines nor development-only middleware are measured.
/// </summary>
public sealed class ServiceApp : IAsyncDisposable
{
    private readonly DaprApp _app;
    private readonly DirectoryInfo _resources;

    private ServiceApp(DaprApp app, DirectoryInfo resources)
    {
        _app = app;
        _resources = resources;
        // No per-host connection cap and no Expect-100: many workers call one host, and every path gets the same client.
        ThroughSidecar = new HttpClient { BaseAddress = new Uri(app.SidecarHttp, $"/v1.0/invoke/{app.AppId}/method/") };
        Direct = new HttpClient { BaseAddress = app.AppUrl ?? throw new InvalidOperationException($"{app.AppId} has no app port") };
    }

    public string AppId => _app.AppId;

    /// <summary><c>http://127.0.0.1:{sidecar HTTP port}/v1.0/invoke/{appId}/method/</c>: as another service calls it.</summary>
    public HttpClient ThroughSidecar { get; }

    /// <summary>The app's own port: the same request without the service-invocation hop through the sidecar.</summary>
    public HttpClient Direct { get; }

    public Uri SidecarHttp => _app.SidecarHttp;

    public string Output => _app.Output;

    /// <param name="components">Component files (name, YAML) for the app's sidecar.</param>
    /// <param name="environment">The app's configuration (connection strings, options), as the runner would set it.</param>
    public static async Task<ServiceApp> StartAsync(
        string appId, string serviceFolder, IReadOnlyList<(string File, string Yaml)> components,
        IReadOnlyDictionary<string, string?> environment, TextWriter progress, CancellationToken ct)
    {
        var resources = Directory.CreateTempSubdirectory($"bench-{appId}-resources-");
        try
        {
            foreach (var (file, yaml) in components)
            {
                await File.WriteAllTextAsync(Path.Combine(resources.FullName, file), yaml, ct).ConfigureAwait(false);
            }

            var appEnvironment = new Dictionary<string, string?>(environment)
            {
                ["DOTNET_ENVIRONMENT"] = "Production",
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["Logging__LogLevel__Default"] = "Warning",
            };
            var assembly = BuildOutput.Assembly(Path.Combine("services", serviceFolder), serviceFolder);
            progress.WriteLine($"starting {appId}: local-daprd + dotnet {assembly}…");
            var app = await DaprApp.StartAsync(new DaprAppOptions
            {
                AppId = appId,
                AppAssembly = assembly,
                ResourcesPaths = [resources.FullName],
                NameResolutionDirectory = Path.Combine(resources.FullName, ".names"),
                AppEnvironment = appEnvironment,
            }, ct).ConfigureAwait(false);
            return new ServiceApp(app, resources);
        }
        catch
        {
            resources.Delete(recursive: true);
            throw;
        }
    }

    /// <summary>A <c>pubsub.redis</c> component named <c>pubsub</c>, daprd's defaults, as components/pubsub.yaml names it.</summary>
    public static (string File, string Yaml) PubSub(RedisServer redis)
        => ("pubsub.yaml", ComponentFile.Yaml("pubsub", "pubsub.redis", [("redisHost", redis.Endpoint)]));

    public async ValueTask DisposeAsync()
    {
        ThroughSidecar.Dispose();
        Direct.Dispose();
        await _app.DisposeAsync().ConfigureAwait(false);
        _resources.Delete(recursive: true);
    }
}
