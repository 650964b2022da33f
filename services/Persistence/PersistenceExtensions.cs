using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Persistence;

public static class PersistenceExtensions
{
    /// <summary>
    /// Registers the service's <see cref="NpgsqlDataSource"/> from <c>ConnectionStrings:{name}</c> and a start-up step that
    /// provisions the database (when <c>ConnectionStrings:{name}-admin</c> is set, i.e. in local development) and applies
    /// the migrations embedded in <paramref name="migrations"/> before the app serves requests.
    /// </summary>
    /// <param name="replication">See <see cref="PostgresDatabaseOptions.Replication"/>.</param>
    public static IHostApplicationBuilder AddServiceDatabase(this IHostApplicationBuilder builder, string name, Assembly migrations, bool replication = false)
    {
        var connectionString = builder.Configuration.GetConnectionString(name)
            ?? throw new InvalidOperationException($"ConnectionStrings:{name} is not configured");
        var options = new PostgresDatabaseOptions
        {
            ConnectionString = connectionString,
            AdminConnectionString = builder.Configuration.GetConnectionString(name + "-admin"),
            Replication = replication,
        };
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(sp => new NpgsqlDataSourceBuilder(WithStatementReuse(connectionString))
            .UseLoggerFactory(sp.GetRequiredService<ILoggerFactory>())
            .Build());
        builder.Services.AddHostedService(sp => new DatabaseStartup(options, sp.GetRequiredService<NpgsqlDataSource>(), migrations, sp.GetRequiredService<ILogger<DatabaseStartup>>()));
        return builder;
    }

    /// <summary>
    /// Lets PostgreSQL keep the plans of the statements a service runs again and again, unless the connection string
    /// says otherwise. By default Npgsql prepares nothing, so every statement is parsed and planned on every call, and it
    /// resets each pooled connection with DISCARD ALL, which would throw prepared statements away. Measured with the saga
    /// benchmark's pg_stat_statements listing (tools/Benchmarks saga --statements): DISCARD ALL was one statement in five.
    /// No service keeps session state on a pooled connection (no SET, LISTEN or temporary tables; the migrator's advisory
    /// lock is released in a finally), so there is nothing for the reset to undo.
    /// </summary>
    public static string WithStatementReuse(string connectionString)
    {
        // NpgsqlConnectionStringBuilder answers ContainsKey for every keyword it knows, set or not; the generic
        // builder holds only what the text says, under the spelling it used ("Max Auto Prepare", "maxautoprepare").
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString }.Keys
            .Cast<string>()
            .Select(key => key.Replace(" ", "", StringComparison.Ordinal).ToLowerInvariant())
            .ToHashSet(StringComparer.Ordinal);
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!given.Contains("maxautoprepare"))
        {
            builder.MaxAutoPrepare = 64;
        }

        if (!given.Contains("noresetonclose"))
        {
            builder.NoResetOnClose = true;
        }

        return builder.ConnectionString;
    }

    /// <summary>Hosted services start before Kestrel accepts requests, so nothing is served from an unmigrated database.</summary>
    private sealed class DatabaseStartup(PostgresDatabaseOptions options, NpgsqlDataSource dataSource, Assembly migrations, ILogger<DatabaseStartup> logger) : IHostedService
    {
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            if (options.AdminConnectionString is { } admin)
            {
                await DatabaseProvisioner.EnsureAsync(admin, options.ConnectionString, options.Replication, cancellationToken);
            }

            var applied = await SchemaMigrator.MigrateAsync(dataSource, migrations, cancellationToken);
            logger.LogInformation("Database {Database} is at the latest schema; applied now: {Applied}",
                new NpgsqlConnectionStringBuilder(options.ConnectionString).Database, applied.Count == 0 ? "none" : string.Join(", ", applied));
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
