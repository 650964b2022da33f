using System.Net.Http.Json;
using System.Text.Json;
using Dapr.Testing;
using Dapr.Testing.Apps;
using Npgsql;

namespace Inventory.Tests.Infrastructure;

/// <summary>
/// The inventory app and its sidecar as real processes, as the Dapr CLI runs them, on a database of its own on the shared
/// PostgreSQL. The app provisions its own role and database through the admin connection, as in local development.
/// </summary>
public sealed class InventoryApp : IAsyncLifetime
{
    public const string AppId = "inventory";
    public const string Password = "inventory-dev";

    // The same process-wide servers as the collection fixture (SharedServers keeps them in a static).
    private readonly SharedServers _servers = new();
    private DirectoryInfo? _resources;
    private DaprApp? _dapr;

    /// <summary>The database's name, which is also the service role's: roles are cluster-wide and the server is shared.</summary>
    public string DatabaseName { get; } = "inventory_" + Guid.NewGuid().ToString("N")[..8];

    public PostgresServer Postgres => _servers.Postgres;

    /// <summary>The service's database as the service's role: what a test reads is what the service could.</summary>
    public NpgsqlDataSource Database { get; private set; } = null!;

    /// <summary>Calls the app through its sidecar's invoke API, as the saga does: <c>reservations/{orderId}</c>.</summary>
    public HttpClient Api { get; private set; } = null!;

    public string Output => _dapr?.Output ?? "";

    public async Task InitializeAsync()
    {
        await _servers.InitializeAsync();
        // The service uses no Dapr component; the sidecar still needs a resources folder and a name-resolution folder.
        _resources = Directory.CreateTempSubdirectory("inventory-resources-");
        _dapr = await DaprApp.StartAsync(new DaprAppOptions
        {
            AppId = AppId,
            AppAssembly = BuildOutput.Assembly(Path.Combine("services", "Inventory"), "Inventory"),
            ResourcesPaths = [_resources.FullName],
            NameResolutionDirectory = Path.Combine(_resources.FullName, ".names"),
            AppEnvironment = new Dictionary<string, string?>
            {
                ["ConnectionStrings__inventory"] = ServiceConnectionString,
                ["ConnectionStrings__inventory-admin"] = Postgres.ConnectionString,
            },
        });
        Database = NpgsqlDataSource.Create(ServiceConnectionString);
        Api = _dapr.CreateInvokeClient();
    }

    public string ServiceConnectionString => Postgres.ConnectionStringFor(DatabaseName, DatabaseName, Password);

    /// <summary>A SKU no other test uses.</summary>
    public static string NewSku(string prefix = "SKU") => $"{prefix}-{Guid.NewGuid().ToString("N")[..10]}";

    public static string NewOrderId() => "order-" + Guid.NewGuid().ToString("N");

    public async Task SetStockAsync(string sku, int onHand)
    {
        using var response = await Api.PutAsJsonAsync($"stock/{sku}", new { onHand });
        Assert.True(response.IsSuccessStatusCode, $"PUT stock/{sku}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}\n{Output}");
    }

    public Task<HttpResponseMessage> ReserveAsync(string orderId, params (string Sku, int Quantity)[] lines) =>
        Api.PostAsJsonAsync($"reservations/{orderId}", new { lines = lines.Select(l => new { sku = l.Sku, quantity = l.Quantity }) });

    /// <summary>The stock row as stored; null when the SKU has none.</summary>
    public async Task<(int OnHand, int Reserved)?> StoredStockAsync(string sku)
    {
        await using var command = Database.CreateCommand("SELECT on_hand, reserved FROM stock WHERE sku = $1");
        command.Parameters.Add(new() { Value = sku });
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync() ? (reader.GetInt32(0), reader.GetInt32(1)) : null;
    }

    public async Task<long> CountAsync(string sql, params object[] parameters)
    {
        await using var command = Database.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new() { Value = parameter });
        }

        return (long)(await command.ExecuteScalarAsync())!;
    }

    public static async Task<JsonElement> ProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    public async Task DisposeAsync()
    {
        Api?.Dispose();
        if (_dapr is not null)
        {
            await _dapr.DisposeAsync();
        }

        if (Database is not null)
        {
            await Database.DisposeAsync();
        }

        _resources?.Delete(recursive: true);
    }
}
