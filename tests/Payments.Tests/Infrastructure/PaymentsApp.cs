using Dapr.Testing;
using Dapr.Testing.Apps;
using Marten;
using Npgsql;
using Payments.Infrastructure;

namespace Payments.Tests.Infrastructure;

/// <summary>
/// The payments app and its sidecar as real processes, as the Dapr CLI runs them, on a PostgreSQL the test chose.
/// The app provisions its own role and database through the admin connection, as in local development.
/// </summary>
public sealed class PaymentsApp : IAsyncDisposable
{
    public const string AppId = "payments";
    public const string Password = "payments-dev";

    private readonly DirectoryInfo _resources;

    private PaymentsApp(DaprApp dapr, DirectoryInfo resources, PostgresServer postgres, string database)
    {
        Dapr = dapr;
        _resources = resources;
        // As the service's own role: what a test writes around the API, the service could have written.
        var connectionString = postgres.ConnectionStringFor(database, database, Password);
        Database = NpgsqlDataSource.Create(connectionString);
        Store = DocumentStore.For(options =>
        {
            EventStore.Configure(options);
            options.Connection(connectionString);
        });
        Api = dapr.CreateInvokeClient();
    }

    public DaprApp Dapr { get; }

    /// <summary>The service's database as the service's role.</summary>
    public NpgsqlDataSource Database { get; }

    /// <summary>The service's event store, set up as the service sets it up, for reading what it wrote.</summary>
    public IDocumentStore Store { get; }

    /// <summary>Calls the app through its sidecar's invoke API, as another service would: <c>payments/{path}</c>.</summary>
    public HttpClient Api { get; }

    /// <param name="database">Also the role's name: the service logs in as its own role to its own database.</param>
    public static async Task<PaymentsApp> StartAsync(PostgresServer postgres, string database = "payments")
    {
        var resources = Directory.CreateTempSubdirectory("payments-resources-");
        var dapr = await DaprApp.StartAsync(new DaprAppOptions
        {
            AppId = AppId,
            AppAssembly = BuildOutput.Assembly(Path.Combine("services", "Payments"), "Payments"),
            ResourcesPaths = [resources.FullName],
            NameResolutionDirectory = Path.Combine(resources.FullName, ".names"),
            AppEnvironment = new Dictionary<string, string?>
            {
                ["ConnectionStrings__payments"] = postgres.ConnectionStringFor(database, database, Password),
                ["ConnectionStrings__payments-admin"] = postgres.ConnectionString,
                ["Logging__Console__TimestampFormat"] = "HH:mm:ss.fff ",
            },
        });
        return new PaymentsApp(dapr, resources, postgres, database);
    }

    public async ValueTask DisposeAsync()
    {
        Api.Dispose();
        await Dapr.DisposeAsync();
        Store.Dispose();
        await Database.DisposeAsync();
        _resources.Delete(recursive: true);
    }
}
