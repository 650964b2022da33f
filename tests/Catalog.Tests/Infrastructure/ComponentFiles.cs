using Dapr.Testing;
using Dapr.Testing.Apps;
using Npgsql;
using YamlDotNet.RepresentationModel;

namespace Catalog.Tests.Infrastructure;

public enum StoreKind
{
    Postgres,
    InMemory,
}

/// <summary>
/// The repository's own component files (components/*.yaml), pointed at this test's throwaway servers. Only what must
/// differ is changed (an address, or the store type for in-memory), so the tests run the configuration that ships.
/// </summary>
public static class ComponentFiles
{
    public static string FolderOf(params string[] parts) => Path.Combine([BuildOutput.RepositoryRoot, "components", .. parts]);

    public static YamlMappingNode Load(string path)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(path);
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents.Single().RootNode;
    }

    /// <summary>
    /// components/catalog-store.yaml on PostgreSQL (its connection string pointed at <paramref name="postgresConnection"/>)
    /// or on state.in-memory (same file, other type, no connection string). Name, scopes and outbox stay as shipped.
    /// </summary>
    public static string CatalogStore(StoreKind kind, string? postgresConnection)
    {
        var root = Load(FolderOf("catalog-store.yaml"));
        var spec = (YamlMappingNode)root["spec"];
        var metadata = (YamlSequenceNode)spec["metadata"];
        var connection = metadata.Children.Cast<YamlMappingNode>().Single(m => m["name"].ToString() == "connectionString");
        switch (kind)
        {
            case StoreKind.Postgres:
                connection.Children[new YamlScalarNode("value")] = new YamlScalarNode(PgxConnectionString(postgresConnection!));
                break;
            case StoreKind.InMemory:
                spec.Children[new YamlScalarNode("type")] = new YamlScalarNode("state.in-memory");
                metadata.Children.Remove(connection);
                break;
        }

        return Save(root);
    }

    /// <summary>
    /// components/pubsub.yaml on <paramref name="redis"/>, with redelivery shortened so a test sees it in seconds.
    /// <paramref name="inOrder"/> delivers one message at a time (concurrency 1), so an event published last is handled last.
    /// </summary>
    public static string PubSub(RedisServer redis, bool inOrder = false)
    {
        var metadata = new List<(string, string)> { ("redisHost", redis.Endpoint), ("processingTimeout", "2000"), ("redeliverInterval", "1000") };
        if (inOrder)
        {
            metadata.Add(("concurrency", "1"));
        }

        return WithMetadata(FolderOf("pubsub.yaml"), [.. metadata]);
    }

    public static string Resiliency() => File.ReadAllText(FolderOf("resiliency.yaml"));

    public static string WithMetadata(string path, params (string Name, string Value)[] values)
    {
        var root = Load(path);
        var metadata = (YamlSequenceNode)((YamlMappingNode)root["spec"])["metadata"];
        foreach (var (name, value) in values)
        {
            var item = metadata.Children.Cast<YamlMappingNode>().SingleOrDefault(m => m["name"].ToString() == name);
            if (item is null)
            {
                metadata.Add(item = new YamlMappingNode { { "name", name } });
            }

            item.Children[new YamlScalarNode("value")] = new YamlScalarNode(value);
        }

        return Save(root);
    }

    /// <summary>daprd parses pgx's keyword form, not Npgsql's.</summary>
    public static string PgxConnectionString(string npgsqlConnectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(npgsqlConnectionString);
        return $"host={builder.Host} port={builder.Port} user={builder.Username} database={builder.Database}"
            + (string.IsNullOrEmpty(builder.Password) ? "" : $" password={builder.Password}");
    }

    private static string Save(YamlNode root)
    {
        using var writer = new StringWriter();
        new YamlStream(new YamlDocument(root)).Save(writer, assignAnchors: false);
        return writer.ToString();
    }
}
