using System.Reflection;
using Npgsql;

namespace Persistence;

/// <summary>
/// Versioned migrations: embedded SQL files named <c>Migrations/NNNN_description.sql</c>, applied in order, each in
/// its own transaction together with its row in <c>schema_migrations</c>, so a migration is either fully applied and
/// recorded or not at all. An advisory lock makes concurrent start-ups of the same service wait for each other.
/// A file already applied is never run again; changing one after release is a mistake the checksum reveals.
/// </summary>
public static class SchemaMigrator
{
    private const long LockKey = 0x5C4E_4D41; // any constant; only this service's database sees it

    public static async Task<IReadOnlyList<string>> MigrateAsync(NpgsqlDataSource dataSource, Assembly migrations, CancellationToken ct)
    {
        var scripts = Discover(migrations);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await Execute(connection, null, $"SELECT pg_advisory_lock({LockKey})", ct);
        try
        {
            await Execute(connection, null, """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version integer PRIMARY KEY,
                    name text NOT NULL,
                    checksum text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now())
                """, ct);

            var applied = new Dictionary<int, string>();
            await using (var read = new NpgsqlCommand("SELECT version, checksum FROM schema_migrations", connection))
            await using (var reader = await read.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    applied[reader.GetInt32(0)] = reader.GetString(1);
                }
            }

            var done = new List<string>();
            foreach (var script in scripts)
            {
                if (applied.TryGetValue(script.Version, out var checksum))
                {
                    if (checksum != script.Checksum)
                    {
                        throw new InvalidOperationException($"migration {script.Name} changed after it was applied; add a new migration instead");
                    }

                    continue;
                }

                await using var transaction = await connection.BeginTransactionAsync(ct);
                await Execute(connection, transaction, script.Sql, ct);
                await using (var record = new NpgsqlCommand("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", connection, transaction)
                {
                    Parameters = { new() { Value = script.Version }, new() { Value = script.Name }, new() { Value = script.Checksum } },
                })
                {
                    await record.ExecuteNonQueryAsync(ct);
                }

                await transaction.CommitAsync(ct);
                done.Add(script.Name);
            }

            return done;
        }
        finally
        {
            await Execute(connection, null, $"SELECT pg_advisory_unlock({LockKey})", CancellationToken.None);
        }
    }

    private sealed record Script(int Version, string Name, string Sql, string Checksum);

    private static List<Script> Discover(Assembly assembly)
    {
        var scripts = new List<Script>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.Contains(".Migrations.", StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal)))
        {
            var name = resource[(resource.IndexOf(".Migrations.", StringComparison.Ordinal) + ".Migrations.".Length)..];
            var digits = new string(name.TakeWhile(char.IsDigit).ToArray());
            if (digits.Length == 0)
            {
                throw new InvalidOperationException($"migration {name} must start with its version number, e.g. 0001_create_customers.sql");
            }

            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            var sql = reader.ReadToEnd();
            var checksum = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(sql.ReplaceLineEndings("\n"))));
            scripts.Add(new Script(int.Parse(digits, System.Globalization.CultureInfo.InvariantCulture), name, sql, checksum));
        }

        var duplicate = scripts.GroupBy(s => s.Version).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidOperationException($"two migrations share version {duplicate.Key}: {string.Join(", ", duplicate.Select(s => s.Name))}");
        }

        return scripts.OrderBy(s => s.Version).ToList();
    }

    private static async Task Execute(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(ct);
    }
}
