using System.Net.Http.Json;
using System.Text.Json;
using Dapr.Client;
using Dapr.Testing;
using Dapr.Testing.Apps;
using StackExchange.Redis;

namespace Recommendations.Tests.Service;

/// <summary>
/// The recommendations service as the runner starts it: its process beside a local sidecar, with the repository's
/// resiliency policy and pubsub.redis on a Redis of its own (streams are named after topics, so a shared Redis would
/// mix this class's <c>orders</c> stream with other tests'). Its database is a fresh one on the shared PostgreSQL,
/// provisioned by the service itself from the admin connection string, as in development.
/// </summary>
public sealed class RecommendationsApp : IAsyncLifetime
{
    public const string AppId = "recommendations";
    public const string PubSub = "pubsub";
    public const string Topic = "orders";

    // The same process-wide servers as the collection fixture (SharedServers keeps them in a static).
    private readonly SharedServers _servers = new();
    private DirectoryInfo? _resources;
    private RedisServer? _redis;
    private ConnectionMultiplexer? _redisClient;
    private DaprApp? _app;

    public DaprClient Dapr { get; private set; } = null!;

    /// <summary>Calls the service's API through its sidecar, as another app would.</summary>
    public HttpClient Api { get; private set; } = null!;

    public string Output => _app?.Output ?? "";

    public async Task InitializeAsync()
    {
        await _servers.InitializeAsync();
        _redis = await RedisServer.StartAsync();
        _redisClient = await ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString);

        _resources = Directory.CreateTempSubdirectory("recommendations-resources-");
        await File.WriteAllTextAsync(Path.Combine(_resources.FullName, "pubsub.yaml"), $"""
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata:
              name: {PubSub}
            spec:
              type: pubsub.redis
              version: v1
              metadata:
              - name: redisHost
                value: "{_redis.Endpoint}"
              - name: processingTimeout
                value: "5000"
              - name: redeliverInterval
                value: "1000"
            """);
        File.Copy(Path.Combine(BuildOutput.RepositoryRoot, "components", "resiliency.yaml"), Path.Combine(_resources.FullName, "resiliency.yaml"));

        var database = "recommendations_" + Guid.NewGuid().ToString("N")[..12];
        _app = await DaprApp.StartAsync(new DaprAppOptions
        {
            AppId = AppId,
            AppAssembly = BuildOutput.Assembly(Path.Combine("services", "Recommendations"), "Recommendations"),
            ResourcesPaths = [_resources.FullName],
            NameResolutionDirectory = Path.Combine(_resources.FullName, ".names"),
            AppEnvironment = new Dictionary<string, string?>
            {
                ["ConnectionStrings__recommendations"] = _servers.Postgres.ConnectionStringFor(database, user: database, password: "test"),
                ["ConnectionStrings__recommendations-admin"] = _servers.Postgres.ConnectionString,
            },
        });

        Dapr = new DaprClientBuilder()
            .UseGrpcEndpoint(_app.SidecarGrpc.ToString())
            .UseHttpEndpoint(_app.SidecarHttp.ToString())
            .Build();
        Api = _app.CreateInvokeClient();
        await WaitForSubscriptionAsync();
    }

    public async Task DisposeAsync()
    {
        Dapr?.Dispose();
        Api?.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        _redisClient?.Dispose();
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }

        _resources?.Delete(recursive: true);
    }

    public Task PublishAsync(string type, object data, string? eventId = null)
    {
        var metadata = new Dictionary<string, string> { ["cloudevent.type"] = type };
        if (eventId is not null)
        {
            metadata["cloudevent.id"] = eventId;
        }

        return Dapr.PublishEventAsync(PubSub, Topic, data, metadata);
    }

    /// <summary>
    /// Waits until the service's consumer group has been handed every message of the topic and has acknowledged them
    /// all. The sidecar acknowledges only after the app answered success, i.e. after its transaction committed.
    /// </summary>
    public async Task WaitUntilAllHandledAsync()
    {
        var redis = _redisClient!.GetDatabase();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var stream = await redis.StreamInfoAsync(Topic);
            var group = (await redis.StreamGroupInfoAsync(Topic)).Single(g => g.Name == AppId);
            if (group.PendingMessageCount == 0 && group.LastDeliveredId == stream.LastGeneratedId)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException(
                    $"{group.PendingMessageCount} message(s) pending, last delivered {group.LastDeliveredId} of {stream.LastGeneratedId}\n{Output}");
            }

            await Task.Delay(50);
        }
    }

    private async Task WaitForSubscriptionAsync()
    {
        using var sidecar = new HttpClient { BaseAddress = _app!.SidecarHttp };
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var metadata = await sidecar.GetFromJsonAsync<JsonElement>("/v1.0/metadata");
            if (metadata.TryGetProperty("subscriptions", out var subscriptions)
                && subscriptions.EnumerateArray().Any(s => s.GetProperty("topic").GetString() == Topic))
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the sidecar did not load the service's subscriptions\n{Output}");
            }

            await Task.Delay(50);
        }
    }
}
