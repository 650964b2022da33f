using Npgsql;

namespace Dapr.Testing.Tests;

public sealed class PostgresServerTests
{
    [Fact]
    public async Task a_started_postgres_answers_a_query()
    {
        await using var pg = await PostgresServer.StartAsync();

        var version = await Sql.ScalarAsync<string>(pg.ConnectionString, "SELECT version()");

        Assert.StartsWith("PostgreSQL ", version);
        Assert.Equal("127.0.0.1", pg.Host);
        Assert.True(FreePort.IsListening(pg.Port));
    }

    [Fact]
    public async Task a_started_postgres_is_configured_for_logical_replication()
    {
        await using var pg = await PostgresServer.StartAsync();

        Assert.Equal("logical", await Sql.ScalarAsync<string>(pg.ConnectionString, "SHOW wal_level"));
        Assert.Equal("20", await Sql.ScalarAsync<string>(pg.ConnectionString, "SHOW max_replication_slots"));
        Assert.Equal("20", await Sql.ScalarAsync<string>(pg.ConnectionString, "SHOW max_wal_senders"));
        Assert.Equal("300", await Sql.ScalarAsync<string>(pg.ConnectionString, "SHOW max_connections"));
        Assert.Equal("off", await Sql.ScalarAsync<string>(pg.ConnectionString, "SHOW fsync"));
        Assert.Equal("on", await Sql.ScalarAsync<string>(pg.ConnectionString, "SHOW synchronous_commit"));
        Assert.Equal("UTF8", await Sql.ScalarAsync<string>(pg.ConnectionString, "SHOW server_encoding"));
    }

    [Fact]
    public async Task a_replication_role_can_create_a_logical_replication_slot()
    {
        await using var pg = await PostgresServer.StartAsync();
        await pg.CreateRoleAsync("relay", "relay-pw", replication: true);
        var db = await pg.CreateDatabaseAsync("outbox", owner: "relay");

        var asRelay = pg.ConnectionStringFor("outbox", "relay", "relay-pw");
        var slot = await Sql.ScalarAsync<string>(
            asRelay, "SELECT slot_name::text FROM pg_create_logical_replication_slot('relay_slot', 'pgoutput')");

        Assert.Equal("relay_slot", slot);
        Assert.Equal("outbox", new NpgsqlConnectionStringBuilder(db).Database);
    }

    [Fact]
    public async Task a_created_role_owns_the_database_created_for_it_and_can_work_in_it()
    {
        await using var pg = await PostgresServer.StartAsync();
        await pg.CreateRoleAsync("orders_app", "it's a secret");
        await pg.CreateDatabaseAsync("orders", owner: "orders_app");
        var asApp = pg.ConnectionStringFor("orders", "orders_app", "it's a secret");

        await Sql.ExecuteAsync(asApp, "CREATE TABLE orders (id int primary key); INSERT INTO orders VALUES (7)");

        Assert.Equal("orders_app", await Sql.ScalarAsync<string>(asApp, "SELECT current_user::text"));
        Assert.Equal(
            "orders_app",
            await Sql.ScalarAsync<string>(
                pg.ConnectionString, "SELECT pg_get_userbyid(datdba)::text FROM pg_database WHERE datname = 'orders'"));
        Assert.Equal(7, await Sql.ScalarAsync<int>(asApp, "SELECT id FROM orders"));
    }

    [Fact]
    public async Task a_role_without_login_cannot_connect()
    {
        await using var pg = await PostgresServer.StartAsync();
        await pg.CreateRoleAsync("group_role", "pw", login: false);

        var error = await Assert.ThrowsAsync<PostgresException>(
            () => Sql.ScalarAsync<int>(pg.ConnectionStringFor("postgres", "group_role", "pw"), "SELECT 1"));

        Assert.Equal(PostgresErrorCodes.InvalidAuthorizationSpecification, error.SqlState);
    }

    [Fact]
    public async Task a_killed_postgres_restarts_with_its_committed_data()
    {
        await using var pg = await PostgresServer.StartAsync();
        var db = await pg.CreateDatabaseAsync("crash");
        var port = pg.Port;
        var postmaster = Processes.PostmasterPid(pg.DataDirectory);
        await Sql.ExecuteAsync(db, "CREATE TABLE ledger (id int primary key)");
        await Sql.ExecuteAsync(db, "INSERT INTO ledger SELECT generate_series(1, 1000)");
        // The last commit before the crash, acknowledged a moment before the kill.
        await Sql.ExecuteAsync(db, "INSERT INTO ledger VALUES (1001)");

        await pg.KillAsync();

        Assert.False(pg.IsRunning);
        Assert.False(Processes.IsAlive(postmaster));
        Assert.False(FreePort.IsListening(port));

        await pg.RestartAsync();

        Assert.Equal(port, pg.Port);
        Assert.Equal(1001L, await Sql.ScalarAsync<long>(db, "SELECT count(*) FROM ledger"));
        Assert.Contains("not properly shut down", pg.RecentLog);
    }

    [Fact]
    public async Task a_stopped_postgres_restarts_on_the_same_port_and_pooled_connections_work_again()
    {
        await using var pg = await PostgresServer.StartAsync();
        var port = pg.Port;
        // Leaves a connection in the pool that the restart breaks.
        await Sql.ExecuteAsync(pg.ConnectionString, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('before')");

        await pg.StopAsync();
        Assert.False(pg.IsRunning);
        Assert.False(FreePort.IsListening(port));

        await pg.RestartAsync();

        Assert.True(pg.IsRunning);
        Assert.Equal(port, pg.Port);
        Assert.Equal("before", await Sql.ScalarAsync<string>(pg.ConnectionString, "SELECT v FROM kept"));
    }

    [Fact]
    public async Task disposing_postgres_removes_its_folder_and_closes_its_port()
    {
        var pg = await PostgresServer.StartAsync();
        var folder = Path.GetDirectoryName(pg.DataDirectory)!;
        var postmaster = Processes.PostmasterPid(pg.DataDirectory);
        Assert.True(Directory.Exists(folder));

        await pg.DisposeAsync();

        Assert.False(Directory.Exists(folder));
        Assert.False(FreePort.IsListening(pg.Port));
        Assert.False(Processes.IsAlive(postmaster));
    }

    [Fact]
    public async Task postgres_runs_as_the_postgres_os_user_when_the_tests_run_as_root()
    {
        await using var pg = await PostgresServer.StartAsync();

        var serverUid = Processes.Uid(Processes.PostmasterPid(pg.DataDirectory));

        var expected = Environment.IsPrivilegedProcess ? PostgresUid() : Processes.Uid(Environment.ProcessId);
        Assert.Equal(expected, serverUid);
    }

    [Fact]
    public async Task a_persistent_data_directory_is_initialized_once_and_kept_after_dispose()
    {
        var parent = Directory.CreateTempSubdirectory("dapr-pg-persistent-test-");
        try
        {
            // As root the server runs as postgres, which must be able to reach the folder, as it must reach
            // a runner's .data folder inside a checkout.
            parent.UnixFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                                  UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
            var options = new PostgresServerOptions
            {
                PersistentDataDirectory = Path.Combine(parent.FullName, "pgdata"),
                Port = FreePort.Next(),
            };

            await using (var first = await PostgresServer.StartAsync(options))
            {
                Assert.Equal(options.Port, first.Port);
                Assert.Equal(options.PersistentDataDirectory, first.DataDirectory);
                await Sql.ExecuteAsync(first.ConnectionString, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('across runs')");
            }

            Assert.True(File.Exists(Path.Combine(options.PersistentDataDirectory, "PG_VERSION")));

            await using var second = await PostgresServer.StartAsync(options);
            Assert.Equal("across runs", await Sql.ScalarAsync<string>(second.ConnectionString, "SELECT v FROM kept"));
        }
        finally
        {
            parent.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task a_folder_that_is_neither_empty_nor_a_data_directory_is_refused()
    {
        var folder = Directory.CreateTempSubdirectory("dapr-pg-not-pgdata-");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(folder.FullName, "notes.txt"), "mine");

            var error = await Assert.ThrowsAsync<InvalidOperationException>(
                () => PostgresServer.StartAsync(new PostgresServerOptions { PersistentDataDirectory = folder.FullName }));

            Assert.Contains("PG_VERSION", error.Message);
            Assert.Equal(["notes.txt"], folder.GetFiles().Select(f => f.Name));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task extra_settings_override_the_defaults()
    {
        await using var pg = await PostgresServer.StartAsync(new PostgresServerOptions
        {
            Settings = new Dictionary<string, string> { ["synchronous_commit"] = "off", ["max_prepared_transactions"] = "10" },
        });

        Assert.Equal("off", await Sql.ScalarAsync<string>(pg.ConnectionString, "SHOW synchronous_commit"));
        Assert.Equal("10", await Sql.ScalarAsync<string>(pg.ConnectionString, "SHOW max_prepared_transactions"));
    }

    [Fact]
    public async Task a_connection_string_carries_the_pool_it_was_asked_for_and_the_test_pool_by_default()
    {
        await using var pg = await PostgresServer.StartAsync();

        var byDefault = new NpgsqlConnectionStringBuilder(pg.ConnectionStringFor("postgres"));
        var deployed = new NpgsqlConnectionStringBuilder(pg.ConnectionStringFor("postgres", pool: ConnectionPool.Deployed));

        Assert.Equal((20, 10, 5), (byDefault.MaxPoolSize, byDefault.ConnectionIdleLifetime, byDefault.ConnectionPruningInterval));
        Assert.Equal((20, 300, 10), (deployed.MaxPoolSize, deployed.ConnectionIdleLifetime, deployed.ConnectionPruningInterval));
        Assert.Equal(1, await Sql.ScalarAsync<int>(deployed.ConnectionString, "SELECT 1"));
    }

    private static int PostgresUid() =>
        int.Parse(File.ReadLines("/etc/passwd").Select(line => line.Split(':')).First(fields => fields[0] == "postgres")[2]);
}
