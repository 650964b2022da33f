using Npgsql;

namespace Persistence;

/// <summary>
/// Creates a service's role and database when they are missing, and locks the database to that role: other services'
/// roles cannot connect to it (database per service, enforced by PostgreSQL rather than by convention).
/// Idempotent, so every start-up may run it.
/// </summary>
public static class DatabaseProvisioner
{
    public static Task EnsureAsync(string adminConnectionString, string serviceConnectionString, CancellationToken ct)
        => EnsureAsync(adminConnectionString, serviceConnectionString, replication: false, ct);

    /// <param name="replication">
    /// Also give the role the REPLICATION attribute, for a service that reads its own database's WAL (change data capture
    /// through a logical replication slot). Only ever added, never taken away.
    /// </param>
    public static async Task EnsureAsync(string adminConnectionString, string serviceConnectionString, bool replication, CancellationToken ct)
    {
        var service = new NpgsqlConnectionStringBuilder(serviceConnectionString);
        var database = service.Database ?? throw new ArgumentException("the service connection string names no database");
        var role = service.Username ?? throw new ArgumentException("the service connection string names no user");
        await using var admin = new NpgsqlConnection(adminConnectionString);
        await admin.OpenAsync(ct);

        // Several instances may start at once; one advisory lock per database name serialises the check-then-create.
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_lock(hashtext($1))", admin) { Parameters = { new() { Value = "provision:" + database } } })
        {
            await lockCommand.ExecuteNonQueryAsync(ct);
        }

        try
        {
            if (!await ExistsAsync(admin, "SELECT 1 FROM pg_roles WHERE rolname = $1", role, ct))
            {
                // CREATE ROLE takes no parameters: quote the identifier and the literal ourselves.
                var password = service.Password is null ? "" : $" PASSWORD {QuoteLiteral(service.Password)}";
                await ExecuteAsync(admin, $"CREATE ROLE {QuoteIdentifier(role)} LOGIN{password}", ct);
            }

            if (replication && !await ExistsAsync(admin, "SELECT 1 FROM pg_roles WHERE rolname = $1 AND rolreplication", role, ct))
            {
                await ExecuteAsync(admin, $"ALTER ROLE {QuoteIdentifier(role)} REPLICATION", ct);
            }

            if (!await ExistsAsync(admin, "SELECT 1 FROM pg_database WHERE datname = $1", database, ct))
            {
                await ExecuteAsync(admin, $"CREATE DATABASE {QuoteIdentifier(database)} OWNER {QuoteIdentifier(role)}", ct);
            }

            await ExecuteAsync(admin, $"REVOKE ALL ON DATABASE {QuoteIdentifier(database)} FROM PUBLIC", ct);
            await ExecuteAsync(admin, $"GRANT CONNECT, TEMPORARY ON DATABASE {QuoteIdentifier(database)} TO {QuoteIdentifier(role)}", ct);
        }
        finally
        {
            await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock(hashtext($1))", admin) { Parameters = { new() { Value = "provision:" + database } } };
            await unlock.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    private static async Task<bool> ExistsAsync(NpgsqlConnection connection, string sql, string name, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection) { Parameters = { new() { Value = name } } };
        return await command.ExecuteScalarAsync(ct) is not null;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }

    public static string QuoteIdentifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static string QuoteLiteral(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
}
