using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Dapr.Client;
using Dapr.Testing;
using Dapr.Testing.Apps;
using StackExchange.Redis;

namespace Cart.Tests.Infrastructure;

/// <summary>
/// The cart as it runs: the local sidecar and the Cart service as two processes, the sidecar loading a
/// <c>cart-store</c> of <see cref="Store"/>'s kind and a <c>pubsub.redis</c> on a Redis of its own. Tests share one
/// app per class and keep apart by using their own customer and product ids.
/// </summary>
public abstract class CartApp : IAsyncLifetime
{
    public const string AppId = "cart";
    public const string StoreName = "cart-store";
    public const string PubSubName = "pubsub";
    public const string Topic = "catalog.products";

    /// <summary>A state store the sidecar loads for another app only; the cart's sidecar must not offer it.</summary>
    public const string OtherAppsStore = "orders-store";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    // xunit v2 hands class fixtures no collection fixtures; SharedServers' servers are per process, so one of our own
    // reaches the same PostgreSQL as every other test.
    private readonly SharedServers _servers = new();
    private readonly List<string> _folders = [];
    private RedisServer? _redis;
    private ConnectionMultiplexer? _redisClient;
    private DaprApp? _app;

    protected abstract StoreKind Store { get; }

    protected virtual int TimeToLiveSeconds => 600;

    public DaprApp Dapr => _app ?? throw new InvalidOperationException("not started");

    /// <summary>Calls the cart through its sidecar: <c>/v1.0/invoke/cart/method/...</c>.</summary>
    public HttpClient Cart { get; private set; } = null!;

    /// <summary>The cart's sidecar's own HTTP API (state, publish, metadata).</summary>
    public HttpClient Sidecar { get; private set; } = null!;

    /// <summary>The SDK, talking gRPC to the cart's sidecar; publishes as the catalog would.</summary>
    public DaprClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await _servers.InitializeAsync();
        _redis = await RedisServer.StartAsync();
        _redisClient = await ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString);
        var postgres = Store == StoreKind.Postgres ? await _servers.NewDatabaseAsync("cart") : null;

        var resources = NewFolder("cart-resources-");
        await File.WriteAllTextAsync(Path.Combine(resources, "cart-store.yaml"), ComponentFiles.CartStore(Store, _redis, postgres));
        await File.WriteAllTextAsync(Path.Combine(resources, "pubsub.yaml"), ComponentFiles.PubSub(_redis));
        await File.WriteAllTextAsync(Path.Combine(resources, "orders-store.yaml"),
            ComponentFiles.Component(OtherAppsStore, "state.in-memory", [], scopes: ["orders"]));

        _app = await DaprApp.StartAsync(new DaprAppOptions
        {
            AppId = AppId,
            AppAssembly = BuildOutput.Assembly(Path.Combine("services", "Cart"), "Cart"),
            ResourcesPaths = [resources],
            NameResolutionDirectory = NewFolder("cart-names-"),
            AppEnvironment = new Dictionary<string, string?>
            {
                ["Cart__TimeToLiveSeconds"] = TimeToLiveSeconds.ToString(CultureInfo.InvariantCulture),
                // Tests look at the index right after a reprice; no add runs beside them that the grace period would protect.
                ["Cart__IndexGracePeriodSeconds"] = "0",
            },
        });

        Cart = _app.CreateInvokeClient();
        Sidecar = new HttpClient { BaseAddress = _app.SidecarHttp };
        Client = new DaprClientBuilder()
            .UseGrpcEndpoint(_app.SidecarGrpc.ToString())
            .UseHttpEndpoint(_app.SidecarHttp.ToString())
            .Build();
        await WaitForSubscriptionAsync();

        // The first call through the app compiles its whole pipeline; the time-to-live tests should not pay for it.
        using var warmUp = await Cart.GetAsync("carts/warm-up");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, warmUp.StatusCode);
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        Cart?.Dispose();
        Sidecar?.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        if (_redisClient is not null)
        {
            await _redisClient.DisposeAsync();
        }

        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }

        foreach (var folder in _folders)
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// Waits until the cart's consumer group has been handed every event published so far and has acknowledged them
    /// all; events no subscription rule matches count too, as the sidecar acknowledges them without calling the app.
    /// </summary>
    public async Task WaitUntilEventsHandledAsync()
    {
        var db = _redisClient!.GetDatabase();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var last = (await db.StreamInfoAsync(Topic)).LastGeneratedId;
            var group = (await db.StreamGroupInfoAsync(Topic)).Single(g => g.Name == AppId);
            if (group.LastDeliveredId == last && group.PendingMessageCount == 0)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline,
                $"events were not all handled: last {last}, delivered {group.LastDeliveredId}, pending {group.PendingMessageCount}\n{Dapr.Output}");
            await Task.Delay(50);
        }
    }

    /// <summary>The cart's document as stored, read through the sidecar's state API, with its etag; null if absent.</summary>
    public async Task<(JsonElement Document, string ETag)?> ReadStateAsync(string key)
    {
        using var response = await Sidecar.GetAsync($"/v1.0/state/{StoreName}/{Uri.EscapeDataString(key)}");
        response.EnsureSuccessStatusCode();
        if (response.StatusCode == System.Net.HttpStatusCode.NoContent)
        {
            return null;
        }

        // daprd sends the etag unquoted (ETag: 3), which HttpHeaders will not parse as an entity tag.
        var etag = response.Headers.TryGetValues("ETag", out var values) ? values.Single() : throw new InvalidOperationException($"no etag for {key}");
        return (await response.Content.ReadFromJsonAsync<JsonElement>(Json), etag);
    }

    private async Task WaitForSubscriptionAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var metadata = await Sidecar.GetFromJsonAsync<JsonElement>("/v1.0/metadata");
            if (metadata.TryGetProperty("subscriptions", out var subscriptions)
                && subscriptions.EnumerateArray().Any(s => s.GetProperty("topic").GetString() == Topic))
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the sidecar did not subscribe the cart to {Topic}\n{Dapr.Output}");
            await Task.Delay(50);
        }
    }

    private string NewFolder(string prefix)
    {
        var folder = Directory.CreateTempSubdirectory(prefix).FullName;
        _folders.Add(folder);
        return folder;
    }
}

public sealed class CartOnRedis : CartApp
{
    protected override StoreKind Store => StoreKind.Redis;
}

public sealed class CartOnPostgres : CartApp
{
    protected override StoreKind Store => StoreKind.Postgres;
}

public sealed class CartInMemory : CartApp
{
    protected override StoreKind Store => StoreKind.InMemory;
}

/// <summary>Carts that expire within seconds, for the time-to-live tests.</summary>
public abstract class ShortLivedCartApp : CartApp
{
    // Long enough that a request through the sidecar on two busy cores is small beside it: the tests tell one
    // expiry from another by half of it.
    public const int TimeToLive = 8;

    protected override int TimeToLiveSeconds => TimeToLive;
}

public sealed class ShortLivedCartOnRedis : ShortLivedCartApp
{
    protected override StoreKind Store => StoreKind.Redis;
}

public sealed class ShortLivedCartOnPostgres : ShortLivedCartApp
{
    protected override StoreKind Store => StoreKind.Postgres;
}

public sealed class ShortLivedCartInMemory : ShortLivedCartApp
{
    protected override StoreKind Store => StoreKind.InMemory;
}
