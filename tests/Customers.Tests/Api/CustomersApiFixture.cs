using Customers.Tests.Infrastructure;
using Dapr.Testing;

namespace Customers.Tests.Api;

/// <summary>One customers app for all API tests, on its own database of the shared PostgreSQL, with an in-memory bus.</summary>
public sealed class CustomersApiFixture : IAsyncLifetime
{
    private const string InMemoryPubSub = """
        apiVersion: dapr.io/v1alpha1
        kind: Component
        metadata:
          name: pubsub
        spec:
          type: pubsub.in-memory
          version: v1
        """;

    private readonly SharedServers _servers = new();
    private CustomersApp? _app;

    public CustomersApp App => _app ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync()
    {
        // xunit v2 gives a class fixture no collection fixture; SharedServers hands every instance the same servers.
        await _servers.InitializeAsync();
        // Roles and slots are cluster-wide, and the shared server outlives this class: both get a name of their own.
        var name = "customers_" + Guid.NewGuid().ToString("N")[..8];
        _app = await CustomersApp.StartAsync(_servers.Postgres, InMemoryPubSub, database: name, slot: name);
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        // The slot would keep the shared server's WAL for the rest of the run.
        await using var admin = new Npgsql.NpgsqlConnection(_servers.Postgres.ConnectionString);
        await admin.OpenAsync();
        await using var drop = new Npgsql.NpgsqlCommand("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active", admin)
        {
            Parameters = { new() { Value = _app?.Slot ?? "" } },
        };
        await drop.ExecuteNonQueryAsync();
    }
}
