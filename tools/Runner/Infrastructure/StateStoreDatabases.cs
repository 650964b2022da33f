using Npgsql;
using YamlDotNet.RepresentationModel;

namespace Runner.Infrastructure;

/// <summary>
/// Creates the databases that <c>state.postgresql</c> components on the local server name. Dapr's component creates its
/// tables but not its database, and the sidecar loads the component before the app starts, so the app cannot do it;
/// in a local run this is the runner's job, as <c>dapr init</c> prepares Redis for the default components.
/// Only databases on the server this runner manages (127.0.0.1 or localhost at the configured port) are touched.
/// </summary>
public static class StateStoreDatabases
{
    public static async Task EnsureAsync(IEnumerable<string> resourcesPaths, InfraSettings settings, Action<string> onStatus, CancellationToken cancel)
    {
        var databases = resourcesPaths.Distinct().Where(Directory.Exists)
            .SelectMany(folder => Directory.EnumerateFiles(folder).Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal)))
            .SelectMany(PostgresStateConnectionStrings)
            .Select(DatabaseOnLocalServer(settings))
            .OfType<string>()
            .Distinct()
            .ToList();
        if (databases.Count == 0)
        {
            return;
        }

        var admin = new NpgsqlConnectionStringBuilder { Host = settings.Host, Port = settings.PostgresPort, Username = "postgres", Database = "postgres" };
        await using var connection = new NpgsqlConnection(admin.ConnectionString);
        await connection.OpenAsync(cancel);
        foreach (var database in databases)
        {
            await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection) { Parameters = { new() { Value = database } } };
            if (await exists.ExecuteScalarAsync(cancel) is not null)
            {
                continue;
            }

            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database.Replace("\"", "\"\"", StringComparison.Ordinal)}\"", connection);
            await create.ExecuteNonQueryAsync(cancel);
            onStatus($"Created database '{database}' for a state.postgresql component");
        }
    }

    /// <summary>The plain-value connection strings of every state.postgresql component in the file (secret references are left to their owners).</summary>
    private static IEnumerable<string> PostgresStateConnectionStrings(string file)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(file))
        {
            stream.Load(reader);
        }

        foreach (var document in stream.Documents)
        {
            if (document.RootNode is not YamlMappingNode root
                || Scalar(root, "kind") != "Component"
                || Child(root, "spec") is not YamlMappingNode spec
                || Scalar(spec, "type") != "state.postgresql"
                || Child(spec, "metadata") is not YamlSequenceNode metadata)
            {
                continue;
            }

            foreach (var item in metadata.Children.OfType<YamlMappingNode>())
            {
                if (Scalar(item, "name") is "connectionString" or "url" && Scalar(item, "value") is { Length: > 0 } value)
                {
                    yield return value;
                }
            }
        }
    }

    /// <summary>Reads pgx's keyword form (<c>host=… port=… database=…</c>) or a <c>postgres://</c> URL.</summary>
    private static Func<string, string?> DatabaseOnLocalServer(InfraSettings settings) => connectionString =>
    {
        string? host, database;
        int port;
        if (Uri.TryCreate(connectionString, UriKind.Absolute, out var uri) && uri.Scheme is "postgres" or "postgresql")
        {
            host = uri.Host;
            port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port;
            database = uri.AbsolutePath.Trim('/');
        }
        else
        {
            var pairs = connectionString.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Select(p => p.Split('=', 2))
                .Where(p => p.Length == 2)
                .ToDictionary(p => p[0].Trim().ToLowerInvariant(), p => p[1].Trim().Trim('\''));
            host = pairs.GetValueOrDefault("host");
            port = int.TryParse(pairs.GetValueOrDefault("port"), out var p) ? p : 5432;
            database = pairs.GetValueOrDefault("database") ?? pairs.GetValueOrDefault("dbname");
        }

        var local = host is "localhost" or "127.0.0.1" && port == settings.PostgresPort;
        return local && !string.IsNullOrEmpty(database) && database != "postgres" ? database : null;
    };

    private static YamlNode? Child(YamlMappingNode node, string key)
        => node.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child : null;

    private static string? Scalar(YamlMappingNode node, string key) => Child(node, key) is YamlScalarNode scalar ? scalar.Value : null;
}
