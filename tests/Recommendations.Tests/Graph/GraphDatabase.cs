using Dapr.Testing;
using Npgsql;
using Persistence;
using Recommendations.Graph;

namespace Recommendations.Tests.Graph;

/// <summary>A fresh database on the shared PostgreSQL, migrated with the service's own migrations.</summary>
public sealed class GraphDatabase : IAsyncDisposable
{
    private GraphDatabase(NpgsqlDataSource dataSource) => DataSource = dataSource;

    public NpgsqlDataSource DataSource { get; }

    public static async Task<GraphDatabase> CreateAsync(SharedServers servers)
    {
        var dataSource = NpgsqlDataSource.Create(await servers.NewDatabaseAsync("recommendations"));
        await SchemaMigrator.MigrateAsync(dataSource, typeof(PostgresRecommendationGraph).Assembly, default);
        return new GraphDatabase(dataSource);
    }

    public async Task<long> ScalarAsync(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    public ValueTask DisposeAsync() => DataSource.DisposeAsync();
}
