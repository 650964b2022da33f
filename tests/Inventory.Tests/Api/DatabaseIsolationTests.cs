using Dapr.Testing;
using Inventory.Tests.Infrastructure;
using Npgsql;
using Persistence;

namespace Inventory.Tests.Api;

/// <summary>
/// Database per service, enforced by PostgreSQL: the role the running inventory app provisioned for itself cannot enter
/// another service's database, and that service's role cannot enter inventory's.
/// </summary>
[Collection(SharedServers.Collection)]
public sealed class DatabaseIsolationTests(InventoryApp app)
{
    [Fact]
    public async Task the_inventory_role_cannot_reach_another_services_database_nor_that_service_inventorys()
    {
        var orders = "orders_" + Guid.NewGuid().ToString("N")[..8];
        var ordersConnection = app.Postgres.ConnectionStringFor(orders, orders, "orders-dev");
        await DatabaseProvisioner.EnsureAsync(app.Postgres.ConnectionString, ordersConnection, default);

        var inventoryIntoOrders = new NpgsqlConnectionStringBuilder(app.ServiceConnectionString) { Database = orders }.ConnectionString;
        var ordersIntoInventory = new NpgsqlConnectionStringBuilder(ordersConnection) { Database = app.DatabaseName }.ConnectionString;

        foreach (var intruder in new[] { inventoryIntoOrders, ordersIntoInventory })
        {
            await using var connection = new NpgsqlConnection(intruder);
            var error = await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync());
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
        }

        // The same roles do get into their own databases: the refusals above are about whose database it is.
        await using var own = new NpgsqlConnection(app.ServiceConnectionString);
        await own.OpenAsync();
    }
}
