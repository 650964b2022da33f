using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapr.Client;
using Dapr.Testing;
using Dapr.Testing.Apps;
using Npgsql;
using StackExchange.Redis;

namespace Orders.Tests.Service;

/// <summary>
/// Orders as the runner starts it, with the apps it talks to: customers (the real service, on its own database), a
/// stand-in for order-workflow (tests/apps/SagaStarterApp) and the cart, each a process beside its own local sidecar,
/// all in one name resolution folder, with pubsub.redis on a Redis of their own (streams are named after topics) and the
/// repository's resiliency policy.
/// </summary>
public sealed class OrdersSystem : IAsyncLifetime
{
    public const string PubSub = "pubsub";
    public const string OrdersTopic = "orders";
    public const string CustomersTopic = "customers";
    public const string Password = "orders-dev";
    public const string PollInterval = "00:01:00";

    // The same process-wide servers as the collection fixture (SharedServers keeps them in a static).
    private readonly SharedServers _servers = new();
    private DirectoryInfo? _resources;
    private RedisServer? _redis;
    private ConnectionMultiplexer? _redisClient;
    private string _customersSlot = "";

    public DaprApp OrdersApp { get; private set; } = null!;
    public DaprApp CustomersApp { get; private set; } = null!;
    public DaprApp WorkflowApp { get; private set; } = null!;
    public DaprApp CartApp { get; private set; } = null!;

    /// <summary>Orders' API through its sidecar, as the cart and the saga call it.</summary>
    public HttpClient Orders { get; private set; } = null!;
    public HttpClient Customers { get; private set; } = null!;
    public HttpClient Cart { get; private set; } = null!;
    public HttpClient Workflow { get; private set; } = null!;

    /// <summary>The SDK on orders' sidecar: publishes to topic customers as the customers relay does.</summary>
    public DaprClient Dapr { get; private set; } = null!;

    /// <summary>Orders' database as orders' own role.</summary>
    public NpgsqlDataSource Database { get; private set; } = null!;

    public string Output => string.Join("\n", new[] { OrdersApp, CustomersApp, WorkflowApp, CartApp }.Where(a => a is not null).Select(a => a.Output));

    public async Task InitializeAsync()
    {
        await _servers.InitializeAsync();
        _redis = await RedisServer.StartAsync();
        _redisClient = await ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString);

        _resources = Directory.CreateTempSubdirectory("orders-resources-");
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
        await File.WriteAllTextAsync(Path.Combine(_resources.FullName, "cart-store.yaml"), """
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata:
              name: cart-store
            spec:
              type: state.in-memory
              version: v1
              metadata:
              - name: keyPrefix
                value: appid
            scopes: ["cart"]
            """);
        File.Copy(Path.Combine(BuildOutput.RepositoryRoot, "components", "resiliency.yaml"), Path.Combine(_resources.FullName, "resiliency.yaml"));
        var names = Path.Combine(_resources.FullName, ".names");

        // Roles and replication slots are cluster-wide, and the shared server outlives this class: names of their own.
        var suffix = Guid.NewGuid().ToString("N")[..10];
        var ordersDatabase = "orders_" + suffix;
        var customersDatabase = "customers_" + suffix;
        _customersSlot = customersDatabase;
        var postgres = _servers.Postgres;
        string[] resources = [_resources.FullName];

        var orders = DaprApp.StartAsync(new DaprAppOptions
        {
            AppId = "orders",
            AppAssembly = BuildOutput.Assembly(Path.Combine("services", "Orders"), "Orders"),
            ResourcesPaths = resources,
            NameResolutionDirectory = names,
            AppEnvironment = new Dictionary<string, string?>
            {
                ["ConnectionStrings__orders"] = postgres.ConnectionStringFor(ordersDatabase, ordersDatabase, Password),
                ["ConnectionStrings__orders-admin"] = postgres.ConnectionString,
                // Far longer than any test waits for a saga start or an event: what arrives in time was woken by the
                // commit's signal, not found by the poll.
                ["Outbox__PollInterval"] = PollInterval,
                ["Logging__Console__TimestampFormat"] = "HH:mm:ss.fff ",
            },
        });
        var customers = DaprApp.StartAsync(new DaprAppOptions
        {
            AppId = "customers",
            AppAssembly = BuildOutput.Assembly(Path.Combine("services", "Customers"), "Customers"),
            ResourcesPaths = resources,
            NameResolutionDirectory = names,
            AppEnvironment = new Dictionary<string, string?>
            {
                ["ConnectionStrings__customers"] = postgres.ConnectionStringFor(customersDatabase, customersDatabase, "customers-dev"),
                ["ConnectionStrings__customers-admin"] = postgres.ConnectionString,
                ["ChangeCapture__Slot"] = _customersSlot,
            },
        });
        var workflow = DaprApp.StartAsync(new DaprAppOptions
        {
            AppId = "order-workflow",
            AppAssembly = BuildOutput.Assembly(Path.Combine("tests", "apps", "SagaStarterApp"), "SagaStarterApp"),
            ResourcesPaths = resources,
            NameResolutionDirectory = names,
        });
        var cart = DaprApp.StartAsync(new DaprAppOptions
        {
            AppId = "cart",
            AppAssembly = BuildOutput.Assembly(Path.Combine("services", "Cart"), "Cart"),
            ResourcesPaths = resources,
            NameResolutionDirectory = names,
        });
        await StartAllAsync(orders, customers, workflow, cart);
        (OrdersApp, CustomersApp, WorkflowApp, CartApp) = (orders.Result, customers.Result, workflow.Result, cart.Result);

        Orders = OrdersApp.CreateInvokeClient();
        Customers = CustomersApp.CreateInvokeClient();
        Cart = CartApp.CreateInvokeClient();
        Workflow = WorkflowApp.CreateInvokeClient();
        Dapr = new DaprClientBuilder()
            .UseGrpcEndpoint(OrdersApp.SidecarGrpc.ToString())
            .UseHttpEndpoint(OrdersApp.SidecarHttp.ToString())
            .Build();
        Database = NpgsqlDataSource.Create(postgres.ConnectionStringFor(ordersDatabase, ordersDatabase, Password));
        await WaitForSubscriptionAsync();
    }

    public async Task DisposeAsync()
    {
        Dapr?.Dispose();
        foreach (var client in new[] { Orders, Customers, Cart, Workflow })
        {
            client?.Dispose();
        }

        foreach (var app in new[] { OrdersApp, CustomersApp, WorkflowApp, CartApp })
        {
            if (app is not null)
            {
                await app.DisposeAsync();
            }
        }

        if (Database is not null)
        {
            await Database.DisposeAsync();
        }

        await DropCustomersSlotAsync();
        _redisClient?.Dispose();
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }

        _resources?.Delete(recursive: true);
    }

    /// <summary>A customer created through the customers API; its change capture publishes customer.created.v1.</summary>
    public async Task<Guid> CreateCustomerAsync(string name = "Ann Example")
    {
        using var response = await Customers.PostAsJsonAsync("customers", new { email = $"ann.{Guid.NewGuid():N}@example.org", name });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    /// <summary>The saga starts the order-workflow stand-in has received since it last started.</summary>
    public async Task<IReadOnlyList<JsonElement>> SagaStartsAsync(string orderId)
    {
        var starts = await Workflow.GetFromJsonAsync<JsonElement[]>("starts");
        return starts!.Where(start => start.GetProperty("orderId").GetString() == orderId).ToList();
    }

    /// <summary>Every CloudEvent in a topic's Redis stream, as the sidecar accepted them, duplicates included.</summary>
    public async Task<IReadOnlyList<JsonElement>> PublishedAsync(string topic, string? subject = null)
    {
        var entries = await _redisClient!.GetDatabase().StreamRangeAsync(topic);
        return entries
            .Select(entry => JsonDocument.Parse((string)entry["data"]!).RootElement.Clone())
            .Where(envelope => subject is null || (envelope.TryGetProperty("subject", out var s) && s.GetString() == subject))
            .ToList();
    }

    public Task PublishCustomerEventAsync(string type, string eventId, object data) =>
        Dapr.PublishEventAsync(PubSub, CustomersTopic, data, new Dictionary<string, string>
        {
            ["cloudevent.type"] = type,
            ["cloudevent.id"] = eventId,
        });

    /// <summary>
    /// Waits until orders' consumer group has been handed every message of topic customers and acknowledged them all;
    /// the sidecar acknowledges only after the app answered success, i.e. after its transaction committed.
    /// </summary>
    public async Task WaitUntilCustomerEventsHandledAsync()
    {
        var redis = _redisClient!.GetDatabase();
        await Eventually.ThatAsync(async () =>
        {
            var stream = await redis.StreamInfoAsync(CustomersTopic);
            var group = (await redis.StreamGroupInfoAsync(CustomersTopic)).Single(g => g.Name == "orders");
            return group.PendingMessageCount == 0 && group.LastDeliveredId == stream.LastGeneratedId;
        }, "orders to handle every event of topic customers", () => Output);
    }

    public async Task<long> CountAsync(string sql, params object[] parameters)
    {
        await using var command = Database.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new() { Value = parameter });
        }

        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task StartAllAsync(params Task<DaprApp>[] starts)
    {
        try
        {
            await Task.WhenAll(starts);
        }
        catch (Exception)
        {
            foreach (var start in starts.Where(s => s.IsCompletedSuccessfully))
            {
                await start.Result.DisposeAsync();
            }

            throw;
        }
    }

    private async Task WaitForSubscriptionAsync()
    {
        using var sidecar = new HttpClient { BaseAddress = OrdersApp.SidecarHttp };
        await Eventually.ThatAsync(async () =>
        {
            var metadata = await sidecar.GetFromJsonAsync<JsonElement>("/v1.0/metadata");
            return metadata.TryGetProperty("subscriptions", out var subscriptions)
                && subscriptions.EnumerateArray().Any(s => s.GetProperty("topic").GetString() == CustomersTopic);
        }, "orders' sidecar to load the subscriptions to topic customers", () => Output);
    }

    private async Task DropCustomersSlotAsync()
    {
        // The slot would keep the shared server's WAL for the rest of the run; an active slot cannot be dropped.
        await using var admin = new NpgsqlConnection(_servers.Postgres.ConnectionString);
        await admin.OpenAsync();
        await Eventually.ThatAsync(async () =>
        {
            await using var active = new NpgsqlCommand("SELECT active FROM pg_replication_slots WHERE slot_name = $1", admin) { Parameters = { new() { Value = _customersSlot } } };
            switch (await active.ExecuteScalarAsync())
            {
                case null:
                    return true;
                case false:
                    await using (var drop = new NpgsqlCommand("SELECT pg_drop_replication_slot($1)", admin) { Parameters = { new() { Value = _customersSlot } } })
                    {
                        await drop.ExecuteNonQueryAsync();
                    }

                    return true;
                default:
                    return false;
            }
        }, $"replication slot {_customersSlot} to be released by the stopped customers app");
    }
}

public static class Eventually
{
    public static async Task ThatAsync(Func<Task<bool>> condition, string what, Func<string>? diagnostics = null, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}\n{diagnostics?.Invoke()}");
            await Task.Delay(50);
        }
    }
}
