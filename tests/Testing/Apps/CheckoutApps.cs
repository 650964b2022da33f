using System.Globalization;
using System.Net.Http.Json;

namespace Dapr.Testing.Apps;

/// <summary>Settings of the saga the workflow app receives as configuration (section <c>Saga</c>).</summary>
public sealed record SagaSettings
{
    public decimal ApprovalThreshold { get; init; } = 1000m;
    public TimeSpan ApprovalTimeout { get; init; } = TimeSpan.FromMinutes(10);
    public int RetryMaxAttempts { get; init; } = 5;
    public TimeSpan RetryFirstInterval { get; init; } = TimeSpan.FromMilliseconds(500);
    public TimeSpan RetryMaxInterval { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan TransferSettleAfter { get; init; } = TimeSpan.FromSeconds(2);
}

/// <summary>
/// The checkout system as real processes: customers, cart, inventory, payments, orders and order-workflow, each with
/// its local-daprd sidecar, on one PostgreSQL (a database and role per service, created by each service through the
/// admin connection as in local development) and one Redis (pub/sub, the cart, the workflow history). Services reach
/// each other through their sidecars only, as under <c>dapr run -f dapr.yaml</c>. Used by the system tests and by the
/// saga benchmark, so both run the same thing.
/// </summary>
public sealed class CheckoutApps : IAsyncDisposable
{
    private readonly DirectoryInfo _resources;
    private readonly List<DaprApp> _apps;

    private CheckoutApps(DirectoryInfo resources, List<DaprApp> apps)
    {
        _resources = resources;
        _apps = apps;
    }

    public DaprApp Customers => App("customers");
    public DaprApp Cart => App("cart");
    public DaprApp Inventory => App("inventory");
    public DaprApp Payments => App("payments");
    public DaprApp Orders => App("orders");
    public DaprApp Workflow => App("order-workflow");

    public IReadOnlyList<DaprApp> All => _apps;

    /// <summary>The database each PostgreSQL-backed service was given (service name → database name).</summary>
    public IReadOnlyDictionary<string, string> Databases { get; private init; } = new Dictionary<string, string>();

    public string Output => string.Join("\n", _apps.Select(app => app.Output));

    /// <param name="faultInjection">Switches on ServiceDefaults' <c>/_faults</c> in every app.</param>
    /// <param name="environment">Added to every app's and every sidecar's environment last, so it wins (e.g. the environment name, log levels).</param>
    /// <param name="pool">How each service's connection pool is set; <see cref="ConnectionPool.ForTests"/> when null.</param>
    public static async Task<CheckoutApps> StartAsync(
        PostgresServer postgres, RedisServer redis, SagaSettings saga, bool faultInjection = false, IReadOnlyDictionary<string, string?>? environment = null,
        ConnectionPool? pool = null)
    {
        environment ??= new Dictionary<string, string?>();
        var resources = Directory.CreateTempSubdirectory("checkout-resources-");
        await WriteComponentsAsync(resources.FullName, redis.Endpoint);
        var names = Path.Combine(resources.FullName, ".names");
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var databases = new Dictionary<string, string>();

        DaprAppOptions Service(string appId, string folder, string assembly, string? database, IDictionary<string, string?>? extra = null)
        {
            var env = new Dictionary<string, string?>
            {
                ["FaultInjection__Enabled"] = faultInjection ? "true" : "false",
                ["Logging__Console__TimestampFormat"] = "HH:mm:ss.fff ",
            };
            if (database is not null)
            {
                // The service's own role logs in to its own database; the admin connection lets it create both.
                var name = databases[database] = $"{database}_{suffix}";
                env[$"ConnectionStrings__{database}"] = postgres.ConnectionStringFor(name, name, $"{database}-dev", pool);
                env[$"ConnectionStrings__{database}-admin"] = postgres.ConnectionString;
            }

            foreach (var (key, value) in (extra ?? new Dictionary<string, string?>()).Concat(environment))
            {
                env[key] = value;
            }

            return new DaprAppOptions
            {
                AppId = appId,
                AppAssembly = BuildOutput.Assembly(folder, assembly),
                ResourcesPaths = [resources.FullName],
                NameResolutionDirectory = names,
                AppEnvironment = env,
                SidecarEnvironment = environment,
            };
        }

        var options = new[]
        {
            Service("customers", Path.Combine("services", "Customers"), "Customers", "customers",
                new Dictionary<string, string?> { ["ChangeCapture__Slot"] = $"customers_{suffix}" }),
            Service("cart", Path.Combine("services", "Cart"), "Cart", null),
            Service("inventory", Path.Combine("services", "Inventory"), "Inventory", "inventory"),
            Service("payments", Path.Combine("services", "Payments"), "Payments", "payments"),
            Service("orders", Path.Combine("services", "Orders"), "Orders", "orders"),
            Service("order-workflow", Path.Combine("workflows", "OrderWorkflow"), "OrderWorkflow", null, new Dictionary<string, string?>
            {
                ["Saga__ApprovalThreshold"] = saga.ApprovalThreshold.ToString(CultureInfo.InvariantCulture),
                ["Saga__ApprovalTimeout"] = saga.ApprovalTimeout.ToString("c", CultureInfo.InvariantCulture),
                ["Saga__RetryMaxAttempts"] = saga.RetryMaxAttempts.ToString(CultureInfo.InvariantCulture),
                ["Saga__RetryFirstInterval"] = saga.RetryFirstInterval.ToString("c", CultureInfo.InvariantCulture),
                ["Saga__RetryMaxInterval"] = saga.RetryMaxInterval.ToString("c", CultureInfo.InvariantCulture),
                ["Saga__TransferSettleAfter"] = saga.TransferSettleAfter.ToString("c", CultureInfo.InvariantCulture),
            }),
        };

        var starts = options.Select(o => DaprApp.StartAsync(o)).ToList();
        try
        {
            await Task.WhenAll(starts);
        }
        catch
        {
            // Whichever apps did start must not outlive the failure.
            foreach (var start in starts.Where(s => s.IsCompletedSuccessfully))
            {
                await start.Result.DisposeAsync();
            }

            resources.Delete(recursive: true);
            throw;
        }

        return new CheckoutApps(resources, [.. starts.Select(s => s.Result)]) { Databases = databases };
    }

    /// <summary>Adds a fault to an app's own endpoints (ServiceDefaults' FaultInjectionMiddleware).</summary>
    public static async Task InjectFaultAsync(DaprApp app, string? method, string path, string timing = "Before", int? times = null, int delayMilliseconds = 0)
    {
        using var client = new HttpClient();
        using var response = await client.PostAsJsonAsync(new Uri(app.AppUrl!, "/_faults"), new { method, path, timing, times, delayMilliseconds });
        response.EnsureSuccessStatusCode();
    }

    /// <summary>How many requests the app's fault rules have struck so far: proof that an injected fault happened.</summary>
    public static async Task<int> StrikesAsync(DaprApp app)
    {
        using var client = new HttpClient();
        var rules = await client.GetFromJsonAsync<List<System.Text.Json.JsonElement>>(new Uri(app.AppUrl!, "/_faults"));
        return rules!.Sum(rule => rule.GetProperty("struck").GetInt32());
    }

    public async Task ClearFaultsAsync()
    {
        using var client = new HttpClient();
        foreach (var app in _apps)
        {
            using var response = await client.DeleteAsync(new Uri(app.AppUrl!, "/_faults"));
            response.EnsureSuccessStatusCode();
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var app in _apps)
        {
            await app.DisposeAsync();
        }

        _resources.Delete(recursive: true);
    }

    private DaprApp App(string appId) => _apps.Single(a => a.AppId == appId);

    private static async Task WriteComponentsAsync(string folder, string redis)
    {
        await File.WriteAllTextAsync(Path.Combine(folder, "pubsub.yaml"), $"""
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata:
              name: pubsub
            spec:
              type: pubsub.redis
              version: v1
              metadata:
              - name: redisHost
                value: {redis}
            """);
        await File.WriteAllTextAsync(Path.Combine(folder, "cart-store.yaml"), $"""
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata:
              name: cart-store
            spec:
              type: state.redis
              version: v1
              metadata:
              - name: redisHost
                value: {redis}
              - name: keyPrefix
                value: appid
            scopes:
            - cart
            """);
        await File.WriteAllTextAsync(Path.Combine(folder, "workflow-store.yaml"), $"""
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata:
              name: workflow-store
            spec:
              type: state.redis
              version: v1
              metadata:
              - name: redisHost
                value: {redis}
              - name: actorStateStore
                value: "true"
            scopes:
            - order-workflow
            """);
    }
}
