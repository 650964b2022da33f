using System.Net.Http.Json;
using Dapr.Testing;
using Dapr.Testing.Apps;

namespace OrderWorkflow.Tests.Infrastructure;

/// <summary>
/// The checkout system as real processes: customers, cart, inventory, payments, orders and order-workflow, each with
/// its local-daprd sidecar, on one PostgreSQL (a database and role per service) and one Redis (pub/sub, the cart, the
/// workflow history). Services reach each other through their sidecars only, as under <c>dapr run -f dapr.yaml</c>.
/// Fault injection is switched on in every app (<c>FaultInjection:Enabled</c>), and the saga's policy is shortened so
/// that retries and approval timeouts take a second or two.
/// </summary>
public sealed class CheckoutSystem : IAsyncLifetime
{
    public const string Currency = "EUR";
    public const decimal ApprovalThreshold = 500m;
    public static readonly TimeSpan ApprovalTimeout = TimeSpan.FromSeconds(3);
    public const int RetryMaxAttempts = 3;

    private readonly SharedServers _servers = new();
    private DirectoryInfo? _resources;
    private readonly List<DaprApp> _apps = [];

    public DaprApp Customers { get; private set; } = null!;
    public DaprApp Cart { get; private set; } = null!;
    public DaprApp Inventory { get; private set; } = null!;
    public DaprApp Payments { get; private set; } = null!;
    public DaprApp Orders { get; private set; } = null!;
    public DaprApp Workflow { get; private set; } = null!;

    public RedisServer Redis => _servers.Redis;

    public Shop Shop { get; private set; } = null!;

    public string Output => string.Join("\n", _apps.Select(app => app.Output));

    public async Task InitializeAsync()
    {
        await _servers.InitializeAsync();
        _resources = Directory.CreateTempSubdirectory("checkout-resources-");
        await WriteComponentsAsync(_resources.FullName, _servers.Redis.Endpoint);
        var names = Path.Combine(_resources.FullName, ".names");
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var postgres = _servers.Postgres;

        DaprAppOptions Service(string appId, string folder, string assembly, string? database, IDictionary<string, string?>? extra = null)
        {
            var env = new Dictionary<string, string?>
            {
                ["FaultInjection__Enabled"] = "true",
                ["Logging__Console__TimestampFormat"] = "HH:mm:ss.fff ",
            };
            if (database is not null)
            {
                // The service's own role logs in to its own database; the admin connection lets it create both.
                var name = $"{database}_{suffix}";
                env[$"ConnectionStrings__{database}"] = postgres.ConnectionStringFor(name, name, $"{database}-dev");
                env[$"ConnectionStrings__{database}-admin"] = postgres.ConnectionString;
            }

            foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
            {
                env[key] = value;
            }

            return new DaprAppOptions
            {
                AppId = appId,
                AppAssembly = BuildOutput.Assembly(folder, assembly),
                ResourcesPaths = [_resources.FullName],
                NameResolutionDirectory = names,
                AppEnvironment = env,
            };
        }

        var slot = $"customers_{suffix}";
        var starts = new[]
        {
            Service("customers", Path.Combine("services", "Customers"), "Customers", "customers",
                new Dictionary<string, string?> { ["ChangeCapture__Slot"] = slot }),
            Service("cart", Path.Combine("services", "Cart"), "Cart", null),
            Service("inventory", Path.Combine("services", "Inventory"), "Inventory", "inventory"),
            Service("payments", Path.Combine("services", "Payments"), "Payments", "payments"),
            Service("orders", Path.Combine("services", "Orders"), "Orders", "orders"),
            Service("order-workflow", Path.Combine("workflows", "OrderWorkflow"), "OrderWorkflow", null, new Dictionary<string, string?>
            {
                ["Saga__ApprovalThreshold"] = ApprovalThreshold.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Saga__ApprovalTimeout"] = ApprovalTimeout.ToString(),
                ["Saga__RetryMaxAttempts"] = RetryMaxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Saga__RetryFirstInterval"] = "00:00:00.200",
                ["Saga__RetryMaxInterval"] = "00:00:00.500",
                ["Saga__TransferSettleAfter"] = "00:00:00",
            }),
        }.Select(options => DaprApp.StartAsync(options)).ToList();

        try
        {
            await Task.WhenAll(starts);
        }
        finally
        {
            _apps.AddRange(starts.Where(start => start.IsCompletedSuccessfully).Select(start => start.Result));
        }

        Customers = _apps.Single(a => a.AppId == "customers");
        Cart = _apps.Single(a => a.AppId == "cart");
        Inventory = _apps.Single(a => a.AppId == "inventory");
        Payments = _apps.Single(a => a.AppId == "payments");
        Orders = _apps.Single(a => a.AppId == "orders");
        Workflow = _apps.Single(a => a.AppId == "order-workflow");
        Shop = new Shop(this);
    }

    /// <summary>Adds a fault to an app's own endpoints (see ServiceDefaults' FaultInjectionMiddleware).</summary>
    public async Task InjectFaultAsync(DaprApp app, string? method, string path, string timing = "Before", int? times = null, int delayMilliseconds = 0)
    {
        using var client = new HttpClient();
        using var response = await client.PostAsJsonAsync(new Uri(app.AppUrl!, "/_faults"), new { method, path, timing, times, delayMilliseconds });
        response.EnsureSuccessStatusCode();
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

    public async Task DisposeAsync()
    {
        Shop?.Dispose();
        foreach (var app in _apps)
        {
            await app.DisposeAsync();
        }

        _resources?.Delete(recursive: true);
    }

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
