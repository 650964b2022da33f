using System.Net.Http.Json;
using Dapr.Client;
using Dapr.Testing;
using Dapr.Testing.Apps;
using LocalSidecar.Tests.Infrastructure;

namespace LocalSidecar.Tests.Conformance;

/// <summary>
/// A sidecar killed with SIGKILL in the middle of a delivery loses nothing: the message stays pending in the Redis
/// consumer group and the restarted sidecar claims and redelivers it once it has been idle for processingTimeout.
/// The sidecar and the app are real processes, started as the Dapr CLI starts them.
/// </summary>
public sealed class SidecarCrashConformance : IAsyncLifetime
{
    private readonly DirectoryInfo _resources = Directory.CreateTempSubdirectory("crash-resources-");
    private RedisServer _redis = null!;
    private DaprApp _subscriber = null!;

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        // processingTimeout 10 s: a delivery that outlives it is claimed again by the first sidecar itself, so the kill
        // must come well within it, however busy the machine, for the second attempt to be the restarted sidecar's.
        await File.WriteAllTextAsync(Path.Combine(_resources.FullName, "pubsub.yaml"), ComponentYaml.Component("pubsub", "pubsub.redis",
            [("redisHost", _redis.Endpoint), ("processingTimeout", "10000"), ("redeliverInterval", "1000")]));
        _subscriber = await DaprApp.StartAsync(new DaprAppOptions
        {
            AppId = "crash-subscriber",
            AppAssembly = BuildOutput.Assembly(Path.Combine("tests", "apps", "SubscriberApp"), "SubscriberApp"),
            ResourcesPaths = [_resources.FullName],
            NameResolutionDirectory = Path.Combine(_resources.FullName, ".names"),
        });
    }

    public async Task DisposeAsync()
    {
        await _subscriber.DisposeAsync();
        await _redis.DisposeAsync();
        _resources.Delete(recursive: true);
    }

    [Fact]
    public async Task a_message_in_flight_when_the_sidecar_is_killed_is_redelivered_after_restart()
    {
        using var app = new HttpClient { BaseAddress = _subscriber.AppUrl };
        await WaitForSubscriptionAsync();
        using (var dapr = new DaprClientBuilder().UseGrpcEndpoint(_subscriber.SidecarGrpc.ToString()).UseHttpEndpoint(_subscriber.SidecarHttp.ToString()).Build())
        {
            await dapr.PublishEventAsync("pubsub", "behaviour", new { id = "in-flight", action = "hang", hangMs = 60_000 });
        }

        await Deliveries.WaitForAsync(app, d => d.Any(x => x.Id == "in-flight" && x.Attempt == 1));
        await _subscriber.KillSidecarAsync();
        await _subscriber.StartSidecarAsync();

        // The restarted sidecar claims the entry once it has been idle for processingTimeout (10 s), checking every second.
        var deliveries = await Deliveries.WaitForAsync(app, d => d.Any(x => x.Id == "in-flight" && x.Attempt == 2), TimeSpan.FromSeconds(30));

        Assert.Equal(2, deliveries.Count(d => d.Id == "in-flight"));
    }

    private async Task WaitForSubscriptionAsync()
    {
        using var sidecar = new HttpClient { BaseAddress = _subscriber.SidecarHttp };
        await Eventually.TrueAsync(
            async () => (await sidecar.GetFromJsonAsync<System.Text.Json.JsonElement>("/v1.0/metadata")).GetProperty("subscriptions").GetArrayLength() > 0,
            TimeSpan.FromSeconds(30), () => "the sidecar did not subscribe:\n" + _subscriber.Output);
    }
}
