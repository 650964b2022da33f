using Dapr.Testing;
using Npgsql;

namespace Persistence.Tests;

[CollectionDefinition(SharedServers.Collection)]
public sealed class SharedServersCollection : ICollectionFixture<SharedServers>;

[Collection(SharedServers.Collection)]
public sealed class PersistenceTests(SharedServers servers)
{
    private string ServiceConnection(string name, string password = "secret")
        => new NpgsqlConnectionStringBuilder(servers.Postgres.ConnectionString) { Database = name, Username = name, Password = password }.ConnectionString;

    private static string Unique(string prefix) => prefix + "_" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public void a_service_connection_prepares_its_statements_and_keeps_them_across_pooled_uses()
    {
        var reused = new NpgsqlConnectionStringBuilder(PersistenceExtensions.WithStatementReuse("Host=db;Database=orders;Username=orders"));

        Assert.Equal(64, reused.MaxAutoPrepare);
        Assert.True(reused.NoResetOnClose);
        Assert.Equal("orders", reused.Database);
    }

    [Fact]
    public void a_connection_string_that_sets_statement_reuse_itself_keeps_its_own_values()
    {
        var own = new NpgsqlConnectionStringBuilder(PersistenceExtensions.WithStatementReuse("Host=db;Database=orders;Max Auto Prepare=0;No Reset On Close=false"));

        Assert.Equal(0, own.MaxAutoPrepare);
        Assert.False(own.NoResetOnClose);
    }

    [Fact]
    public async Task provisioning_creates_the_role_and_a_database_only_that_role_can_enter()
    {
        var orders = Unique("orders");
        var customers = Unique("customers");
        await DatabaseProvisioner.EnsureAsync(servers.Postgres.ConnectionString, ServiceConnection(orders), default);
        await DatabaseProvisioner.EnsureAsync(servers.Postgres.ConnectionString, ServiceConnection(customers), default);

        await using (var own = new NpgsqlConnection(ServiceConnection(orders)))
        {
            await own.OpenAsync();
        }

        // The customers role tries to enter the orders database.
        var intruder = new NpgsqlConnectionStringBuilder(ServiceConnection(customers)) { Database = orders }.ConnectionString;
        await using var foreign = new NpgsqlConnection(intruder);
        var error = await Assert.ThrowsAsync<PostgresException>(() => foreign.OpenAsync());
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
    }

    [Fact]
    public async Task provisioning_twice_changes_nothing()
    {
        var name = Unique("twice");
        await DatabaseProvisioner.EnsureAsync(servers.Postgres.ConnectionString, ServiceConnection(name), default);
        await DatabaseProvisioner.EnsureAsync(servers.Postgres.ConnectionString, ServiceConnection(name), default);

        await using var connection = new NpgsqlConnection(ServiceConnection(name));
        await connection.OpenAsync();
    }

    [Fact]
    public async Task provisioning_for_change_data_capture_lets_the_role_create_a_logical_replication_slot_in_its_database()
    {
        var name = Unique("cdc");
        await DatabaseProvisioner.EnsureAsync(servers.Postgres.ConnectionString, ServiceConnection(name), default);
        // A role that existed before the service asked for replication gets it on the next start.
        await DatabaseProvisioner.EnsureAsync(servers.Postgres.ConnectionString, ServiceConnection(name), replication: true, default);

        await using var dataSource = NpgsqlDataSource.Create(ServiceConnection(name));
        await using var create = dataSource.CreateCommand($"SELECT slot_name::text FROM pg_create_logical_replication_slot('{name}', 'pgoutput', true)");
        Assert.Equal(name, await create.ExecuteScalarAsync());
    }

    [Fact]
    public async Task provisioning_without_replication_leaves_the_role_unable_to_read_the_wal()
    {
        var name = Unique("nocdc");
        await DatabaseProvisioner.EnsureAsync(servers.Postgres.ConnectionString, ServiceConnection(name), default);

        await using var dataSource = NpgsqlDataSource.Create(ServiceConnection(name));
        await using var create = dataSource.CreateCommand($"SELECT pg_create_logical_replication_slot('{name}', 'pgoutput', true)");
        var error = await Assert.ThrowsAsync<PostgresException>(() => create.ExecuteScalarAsync());
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
    }

    [Fact]
    public async Task migrations_run_once_in_order_even_when_five_instances_start_together()
    {
        var name = Unique("migrate");
        await DatabaseProvisioner.EnsureAsync(servers.Postgres.ConnectionString, ServiceConnection(name), default);
        await using var dataSource = NpgsqlDataSource.Create(ServiceConnection(name));

        var runs = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => SchemaMigrator.MigrateAsync(dataSource, typeof(PersistenceTests).Assembly, default)));

        Assert.Equal(["0001_create_things.sql", "0002_add_thing_colour.sql"], runs.SelectMany(r => r).Order());
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM schema_migrations");
        Assert.Equal(2L, await command.ExecuteScalarAsync());
        await using var insert = dataSource.CreateCommand("INSERT INTO things (id, name, colour) VALUES (1, 'kettle', 'red')");
        await insert.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task an_event_recorded_in_a_rolled_back_transaction_can_be_processed_again()
    {
        var name = Unique("inbox");
        await DatabaseProvisioner.EnsureAsync(servers.Postgres.ConnectionString, ServiceConnection(name), default);
        await using var dataSource = NpgsqlDataSource.Create(ServiceConnection(name));
        await SchemaMigrator.MigrateAsync(dataSource, typeof(PersistenceTests).Assembly, default);
        await using var connection = await dataSource.OpenConnectionAsync();

        await using (var crashed = await connection.BeginTransactionAsync())
        {
            Assert.True(await ProcessedEvents.TryRecordAsync(connection, crashed, "evt-1", "thing.created.v1", default));
            await crashed.RollbackAsync();
        }

        await using (var first = await connection.BeginTransactionAsync())
        {
            Assert.True(await ProcessedEvents.TryRecordAsync(connection, first, "evt-1", "thing.created.v1", default));
            await first.CommitAsync();
        }

        await using var duplicate = await connection.BeginTransactionAsync();
        Assert.False(await ProcessedEvents.TryRecordAsync(connection, duplicate, "evt-1", "thing.created.v1", default));
    }
}
