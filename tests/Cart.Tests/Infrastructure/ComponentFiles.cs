using Dapr.Testing;
using Npgsql;

namespace Cart.Tests.Infrastructure;

public enum StoreKind
{
    Redis,
    Postgres,
    InMemory,
}

/// <summary>
/// The component files the cart's sidecar loads in tests. Between store kinds only <c>cart-store</c>'s type and
/// connection differ; name, scopes and key prefix are those of <c>components/cart-store.yaml</c>.
/// </summary>
public static class ComponentFiles
{
    public static string CartStore(StoreKind kind, RedisServer redis, string? postgresConnectionString) => kind switch
    {
        StoreKind.Redis => Component("cart-store", "state.redis", [("redisHost", redis.Endpoint), ("keyPrefix", "appid")], scopes: ["cart"]),
        StoreKind.Postgres => Component("cart-store", "state.postgresql",
            [("connectionString", PgxConnectionString(postgresConnectionString!)), ("keyPrefix", "appid")], scopes: ["cart"]),
        StoreKind.InMemory => Component("cart-store", "state.in-memory", [("keyPrefix", "appid")], scopes: ["cart"]),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>Short timeouts so that an unacknowledged delivery comes back within seconds.</summary>
    public static string PubSub(RedisServer redis) => Component("pubsub", "pubsub.redis",
        [("redisHost", redis.Endpoint), ("processingTimeout", "5000"), ("redeliverInterval", "1000")]);

    /// <summary>Component files carry pgx's keyword format (what daprd parses), not Npgsql's.</summary>
    public static string PgxConnectionString(string npgsqlConnectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(npgsqlConnectionString);
        return $"host={builder.Host} port={builder.Port} user={builder.Username} database={builder.Database}";
    }

    public static string Component(string name, string type, IReadOnlyList<(string Name, string Value)> metadata, IReadOnlyList<string>? scopes = null)
    {
        var lines = new List<string>
        {
            "apiVersion: dapr.io/v1alpha1",
            "kind: Component",
            "metadata:",
            $"  name: {name}",
            "spec:",
            $"  type: {type}",
            "  version: v1",
            metadata.Count == 0 ? "  metadata: []" : "  metadata:",
        };
        foreach (var (key, value) in metadata)
        {
            lines.Add($"  - name: {key}");
            lines.Add($"    value: \"{value.Replace("\"", "\\\"", StringComparison.Ordinal)}\"");
        }

        if (scopes is not null)
        {
            lines.Add("scopes:");
            lines.AddRange(scopes.Select(scope => $"- {scope}"));
        }

        return string.Join('\n', lines) + "\n";
    }
}
