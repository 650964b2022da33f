using Customers.Tests.Infrastructure;
using Dapr.Testing;
using Npgsql;

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
        if (_app is null)
        {
            return;
        }

        await _app.DisposeAsync();

        // The slot would keep the shared server's WAL for the rest of the run. The killed app's WAL sender may take a
        // moment to notice, and an active slot cannot be dropped.
        await using var admin = new NpgsqlConnection(_servers.Postgres.ConnectionString);
        await admin.OpenAsync();
        for (var deadline = DateTime.UtcNow.AddSeconds(10); ; await Task.Delay(100))
        {
            await using var active = new NpgsqlCommand("SELECT active FROM pg_replication_slots WHERE slot_name = $1", admin) { Parameters = { new() { Value = App.Slot } } };
            switch (await active.ExecuteScalarAsync())
            {
                case null:
                    return;
                case false:
                    await using (var drop = new NpgsqlCommand("SELECT pg_drop_replication_slot($1)", admin) { Parameters = { new() { Value = App.Slot } } })
                    {
                        await drop.ExecuteNonQueryAsync();
                    }

                    return;
                default:
                    Assert.True(DateTime.UtcNow < deadline, $"replication slot {App.Slot} is still in use after the app was stopped");
                    break;
            }
        }
    }
}
