using Dapr.Testing;
using Npgsql;
using Runner.Infrastructure;

namespace Runner.Tests;

/// <summary>The runner creates the databases that state.postgresql components on its own server name, and no others.</summary>
public sealed class StateStoreDatabasesTests : IAsyncLifetime
{
    private readonly DirectoryInfo _components = Directory.CreateTempSubdirectory("runner-components-");
    private PostgresServer _postgres = null!;

    public async Task InitializeAsync() => _postgres = await PostgresServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _postgres.DisposeAsync();
        _components.Delete(recursive: true);
    }

    private void Component(string file, string name, string connectionString) => File.WriteAllText(Path.Combine(_components.FullName, file), $"""
        apiVersion: dapr.io/v1alpha1
        kind: Component
        metadata:
          name: {name}
        spec:
          type: state.postgresql
          version: v1
          metadata:
          - name: connectionString
            value: "{connectionString}"
        """);

    private async Task<bool> ExistsAsync(string database)
    {
        await using var connection = new NpgsqlConnection(_postgres.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection) { Parameters = { new() { Value = database } } };
        return await command.ExecuteScalarAsync() is not null;
    }

    [Fact]
    public async Task databases_named_by_local_state_postgresql_components_are_created_once()
    {
        Component("catalog.yaml", "catalog-store", $"host=localhost port={_postgres.Port} user=postgres database=catalog");
        Component("orders.yaml", "orders-store", $"postgres://postgres@127.0.0.1:{_postgres.Port}/orders");
        Component("elsewhere.yaml", "remote-store", "host=db.example.internal port=5432 user=postgres database=remote");
        var settings = new InfraSettings(_components.FullName, "127.0.0.1", _postgres.Port, RedisPort: 0);
        var created = new List<string>();

        await StateStoreDatabases.EnsureAsync([_components.FullName], settings, created.Add, CancellationToken.None);
        await StateStoreDatabases.EnsureAsync([_components.FullName], settings, created.Add, CancellationToken.None);

        Assert.True(await ExistsAsync("catalog"));
        Assert.True(await ExistsAsync("orders"));
        Assert.False(await ExistsAsync("remote"));
        Assert.Equal(2, created.Count); // the second call found both and created nothing
    }
}
