using Catalog.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace Catalog.Tests.Components;

/// <summary>
/// The two shipped catalog-store files: the default (state.postgresql, run by every test here) and the polyglot one
/// (state.mongodb, which no sidecar on this machine can load), checked against the metadata Dapr documents.
/// </summary>
public sealed class CatalogStoreComponentTests
{
    /// <summary>Read by daprd itself for any state store (state_config.go, outbox.go), not by the component.</summary>
    private static readonly string[] DaprdLevel =
        ["actorStateStore", "keyPrefix", "outboxPublishPubsub", "outboxPublishTopic", "outboxPubsub", "outboxDiscardWhenMissingState"];

    /// <summary>docs setup-mongodb.md and components-contrib state/mongodb/metadata.yaml.</summary>
    private static readonly string[] MongoDb =
        ["host", "server", "connectionString", "username", "password", "databaseName", "collectionName", "writeConcern", "readConcern", "operationTimeout", "params"];

    /// <summary>components-contrib state/postgresql/v1 metadata (PostgresAuthMetadata plus the v1 fields).</summary>
    private static readonly string[] PostgresV1 =
        ["connectionString", "url", "host", "hostaddr", "port", "database", "user", "password", "sslRootCert", "maxConns", "connectionMaxIdleTime",
         "queryExecMode", "tableName", "metadataTableName", "timeout", "timeoutInSeconds", "cleanupInterval", "cleanupIntervalInSeconds"];

    private static readonly YamlMappingNode Default = ComponentFiles.Load(ComponentFiles.FolderOf("catalog-store.yaml"));
    private static readonly YamlMappingNode Polyglot = ComponentFiles.Load(ComponentFiles.FolderOf("profiles", "polyglot", "catalog-store.yaml"));

    [Fact]
    public void the_polyglot_file_is_a_mongodb_store_using_only_metadata_dapr_documents_for_it()
    {
        Assert.Equal("state.mongodb", Text(Polyglot, "spec", "type"));
        var metadata = Metadata(Polyglot);

        Assert.All(metadata.Keys, name => Assert.Contains(name, MongoDb.Concat(DaprdLevel)));
        // One way to reach the server: host or server (an SRV name) or a full connection string, never two of them.
        Assert.Single(metadata.Keys, name => name is "host" or "server" or "connectionString");
        Assert.Contains(metadata["writeConcern"], new[] { "majority" }.Concat(Enumerable.Range(0, 10).Select(i => i.ToString())));
        Assert.Contains(metadata["readConcern"], new[] { "local", "majority", "available", "linearizable", "snapshot" });
        Assert.Matches("^([0-9]+(ns|us|µs|ms|s|m|h))+$", metadata["operationTimeout"]);
    }

    [Fact]
    public void the_default_file_is_a_postgresql_v1_store_using_only_metadata_dapr_documents_for_it()
    {
        Assert.Equal("state.postgresql", Text(Default, "spec", "type"));
        Assert.Equal("v1", Text(Default, "spec", "version"));
        Assert.All(Metadata(Default).Keys, name => Assert.Contains(name, PostgresV1.Concat(DaprdLevel)));
    }

    [Fact]
    public void both_profiles_publish_product_changes_through_the_outbox_to_catalog_products()
    {
        foreach (var file in new[] { Default, Polyglot })
        {
            Assert.Equal("pubsub", Metadata(file)["outboxPublishPubsub"]);
            Assert.Equal("catalog.products", Metadata(file)["outboxPublishTopic"]);
        }
    }

    [Fact]
    public void the_polyglot_file_differs_from_the_default_only_in_its_store_section()
    {
        Assert.Equal(Text(Default, "apiVersion"), Text(Polyglot, "apiVersion"));
        Assert.Equal(Text(Default, "kind"), Text(Polyglot, "kind"));
        Assert.Equal("catalog-store", Text(Default, "metadata", "name"));
        Assert.Equal(Text(Default, "metadata", "name"), Text(Polyglot, "metadata", "name"));
        Assert.Equal(Text(Default, "spec", "version"), Text(Polyglot, "spec", "version"));
        Assert.Equal(["catalog"], Scopes(Default));
        Assert.Equal(Scopes(Default), Scopes(Polyglot));
        Assert.Equal(DaprdSettings(Default), DaprdSettings(Polyglot));
        Assert.Equal(["apiVersion", "kind", "metadata", "spec", "scopes"], Polyglot.Children.Keys.Select(k => k.ToString()));
        Assert.Equal(Default.Children.Keys.Select(k => k.ToString()), Polyglot.Children.Keys.Select(k => k.ToString()));
    }

    private static string Text(YamlMappingNode root, params string[] path)
    {
        YamlNode node = root;
        foreach (var step in path)
        {
            node = ((YamlMappingNode)node)[step];
        }

        return ((YamlScalarNode)node).Value!;
    }

    private static Dictionary<string, string> Metadata(YamlMappingNode root) =>
        ((YamlSequenceNode)((YamlMappingNode)root["spec"])["metadata"]).Children.Cast<YamlMappingNode>()
            .ToDictionary(m => m["name"].ToString(), m => m["value"].ToString());

    private static List<string> Scopes(YamlMappingNode root) => ((YamlSequenceNode)root["scopes"]).Children.Select(s => s.ToString()).ToList();

    private static List<KeyValuePair<string, string>> DaprdSettings(YamlMappingNode root) =>
        Metadata(root).Where(m => DaprdLevel.Contains(m.Key)).OrderBy(m => m.Key, StringComparer.Ordinal).ToList();
}
