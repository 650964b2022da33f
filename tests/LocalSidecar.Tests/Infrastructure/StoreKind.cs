using Dapr.Testing;

namespace LocalSidecar.Tests.Infrastructure;

public enum StoreKind
{
    InMemory,
    Redis,
    Postgres,
}

/// <summary>Component files for the stores under test, pointing at the throwaway servers of this test run.</summary>
public static class ComponentYaml
{
    public static async Task<string> StateStoreAsync(string name, StoreKind kind, SharedServers servers, params (string Name, string Value)[] metadata)
    {
        var (type, connection) = kind switch
        {
            StoreKind.InMemory => ("state.in-memory", Array.Empty<(string, string)>()),
            StoreKind.Redis => ("state.redis", [("redisHost", servers.Redis.Endpoint)]),
            StoreKind.Postgres => ("state.postgresql", [("connectionString", PgxConnectionString(await servers.NewDatabaseAsync("state")))]),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        return Component(name, type, [.. connection, .. metadata]);
    }

    /// <summary>Component files carry pgx's keyword format (what daprd parses), not Npgsql's.</summary>
    public static string PgxConnectionString(string npgsqlConnectionString)
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(npgsqlConnectionString);
        return $"host={builder.Host} port={builder.Port} user={builder.Username} database={builder.Database}"
            + (string.IsNullOrEmpty(builder.Password) ? "" : $" password={builder.Password}");
    }

    public static string Component(string name, string type, IEnumerable<(string Name, string Value)> metadata, IEnumerable<string>? scopes = null)
    {
        var items = metadata.Select(m => $"  - name: {m.Name}\n    value: \"{m.Value.Replace("\"", "\\\"", StringComparison.Ordinal)}\"").ToList();
        var yaml = $"""
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata:
              name: {name}
            spec:
              type: {type}
              version: v1
              metadata:{(items.Count == 0 ? " []" : "")}

            """;
        yaml += string.Join("\n", items);
        if (scopes is not null)
        {
            yaml += "\nscopes:\n" + string.Join("\n", scopes.Select(s => $"- {s}"));
        }

        return yaml + "\n";
    }
}
