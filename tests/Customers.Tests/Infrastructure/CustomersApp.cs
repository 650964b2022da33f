using Dapr.Testing;
using Dapr.Testing.Apps;
using Npgsql;
using NpgsqlTypes;

namespace Customers.Tests.Infrastructure;

/// <summary>
/// The customers app and its sidecar as real processes, as the Dapr CLI runs them, on a PostgreSQL the test chose.
/// The app provisions its own role and database through the admin connection, as in local development.
/// </summary>
public sealed class CustomersApp : IAsyncDisposable
{
    public const string AppId = "customers";
    public const string Password = "customers-dev";

    private readonly DirectoryInfo _resources;

    private CustomersApp(DaprApp dapr, DirectoryInfo resources, PostgresServer postgres, string database, string slot)
    {
        Dapr = dapr;
        _resources = resources;
        Postgres = postgres;
        Slot = slot;
        // As the service's own role: a test that writes around the API writes what the service could.
        Database = NpgsqlDataSource.Create(postgres.ConnectionStringFor(database, database, Password));
        Admin = NpgsqlDataSource.Create(postgres.ConnectionStringFor(database));
        Api = dapr.CreateInvokeClient();
    }

    public DaprApp Dapr { get; }

    public PostgresServer Postgres { get; }

    public string Slot { get; }

    /// <summary>The service's database as the service's role.</summary>
    public NpgsqlDataSource Database { get; }

    /// <summary>The service's database as the superuser, for what only the superuser sees (other sessions' slots).</summary>
    public NpgsqlDataSource Admin { get; }

    /// <summary>Calls the app through its sidecar's invoke API, as another service would: <c>customers/{id}</c>.</summary>
    public HttpClient Api { get; }

    /// <param name="database">Also the role's name: the service logs in as its own role to its own database.</param>
    /// <param name="pubsubComponent">The <c>pubsub</c> component's YAML.</param>
    public static async Task<CustomersApp> StartAsync(PostgresServer postgres, string pubsubComponent, string database = "customers", string slot = "customers_cdc")
    {
        var resources = Directory.CreateTempSubdirectory("customers-resources-");
        await File.WriteAllTextAsync(Path.Combine(resources.FullName, "pubsub.yaml"), pubsubComponent);
        var dapr = await DaprApp.StartAsync(new DaprAppOptions
        {
            AppId = AppId,
            AppAssembly = BuildOutput.Assembly(Path.Combine("services", "Customers"), "Customers"),
            ResourcesPaths = [resources.FullName],
            NameResolutionDirectory = Path.Combine(resources.FullName, ".names"),
            AppEnvironment = new Dictionary<string, string?>
            {
                ["ConnectionStrings__customers"] = postgres.ConnectionStringFor(database, database, Password),
                ["ConnectionStrings__customers-admin"] = postgres.ConnectionString,
                ["ChangeCapture__Slot"] = slot,
                // Failures are read from this output; times tell what happened when relative to the test's kills.
                ["Logging__Console__TimestampFormat"] = "HH:mm:ss.fff ",
            },
        });
        return new CustomersApp(dapr, resources, postgres, database, slot);
    }

    /// <summary>The position up to which the relay has confirmed the WAL to its slot.</summary>
    public async Task<NpgsqlLogSequenceNumber> ConfirmedFlushLsnAsync()
    {
        await using var command = Admin.CreateCommand("SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = $1");
        command.Parameters.Add(new() { Value = Slot });
        return (NpgsqlLogSequenceNumber)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>The end of the WAL written so far: right after a commit, the slot must reach it once the commit is published.</summary>
    public async Task<NpgsqlLogSequenceNumber> CurrentWalLsnAsync()
    {
        await using var command = Admin.CreateCommand("SELECT pg_current_wal_lsn()");
        return (NpgsqlLogSequenceNumber)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Waits until the slot is confirmed beyond <paramref name="commitLsn"/>: that transaction will not be sent again.</summary>
    public async Task WaitUntilConfirmedPastAsync(NpgsqlLogSequenceNumber commitLsn, TimeSpan? timeout = null) =>
        await WaitUntilConfirmedAsync(confirmed => confirmed > commitLsn, $"past {commitLsn}", timeout);

    /// <summary>Waits until the slot is confirmed at least up to <paramref name="lsn"/>.</summary>
    public async Task WaitUntilConfirmedAsync(NpgsqlLogSequenceNumber lsn, TimeSpan? timeout = null) =>
        await WaitUntilConfirmedAsync(confirmed => confirmed >= lsn, $"up to {lsn}", timeout);

    private async Task WaitUntilConfirmedAsync(Func<NpgsqlLogSequenceNumber, bool> done, string what, TimeSpan? timeout)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        NpgsqlLogSequenceNumber confirmed;
        while (!done(confirmed = await ConfirmedFlushLsnAsync()))
        {
            Assert.True(DateTime.UtcNow < deadline, $"slot {Slot} confirmed only {confirmed}, not {what}:\n{Dapr.Output}");
            await Task.Delay(50);
        }
    }

    /// <summary>An update as any writer of the database could make it, bypassing the API (the relay reads the WAL, not the API).</summary>
    public async Task RenameAsync(Guid id, string name)
    {
        await using var command = Database.CreateCommand("UPDATE customers SET name = $2, version = version + 1, updated_at = now() WHERE id = $1");
        command.Parameters.Add(new() { Value = id });
        command.Parameters.Add(new() { Value = name });
        Assert.Equal(1, await command.ExecuteNonQueryAsync());
    }

    public async Task<Guid> InsertAsync(string email, string name)
    {
        await using var command = Database.CreateCommand("INSERT INTO customers (id, email, name) VALUES ($1, $2, $3)");
        var id = Guid.CreateVersion7();
        command.Parameters.Add(new() { Value = id });
        command.Parameters.Add(new() { Value = email });
        command.Parameters.Add(new() { Value = name });
        await command.ExecuteNonQueryAsync();
        return id;
    }

    public async ValueTask DisposeAsync()
    {
        Api.Dispose();
        await Dapr.DisposeAsync();
        await Database.DisposeAsync();
        await Admin.DisposeAsync();
        _resources.Delete(recursive: true);
    }
}
