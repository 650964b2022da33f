using Dapr.Testing;
using LocalSidecar.Components;
using Npgsql;

namespace LocalSidecar.Tests.State;

/// <summary>Component definitions as the resource loader would hand them to the factory.</summary>
internal static class Components
{
    public const string File = "components/statestore.yaml";

    public static ComponentDefinition Define(string type, IReadOnlyDictionary<string, string> metadata, string version = "v1", string name = "statestore")
        => new(name, type, version, new ComponentMetadata(metadata, File, name), [], File);

    public static ComponentDefinition Redis(RedisServer server, params (string Name, string Value)[] extra)
        => Define("state.redis", With(new Dictionary<string, string> { ["redisHost"] = server.Endpoint }, extra));

    /// <summary>
    /// A state.postgresql component whose connection string is written the way daprd component files write it (pgx
    /// keyword/value form), not in Npgsql's syntax, so the tests go through the same parsing a real file does.
    /// </summary>
    public static ComponentDefinition Postgres(string npgsqlConnectionString, params (string Name, string Value)[] extra)
        => Define("state.postgresql", With(new Dictionary<string, string> { ["connectionString"] = PgxForm(npgsqlConnectionString) }, extra));

    public static string PgxForm(string npgsqlConnectionString)
    {
        var b = new NpgsqlConnectionStringBuilder(npgsqlConnectionString);
        return $"host={b.Host} port={b.Port} user={b.Username} database={b.Database}" + (b.Password is { Length: > 0 } p ? $" password={p}" : "");
    }

    private static Dictionary<string, string> With(Dictionary<string, string> metadata, (string Name, string Value)[] extra)
    {
        foreach (var (name, value) in extra)
        {
            metadata[name] = value;
        }

        return metadata;
    }
}
