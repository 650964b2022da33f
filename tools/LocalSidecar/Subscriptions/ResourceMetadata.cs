namespace LocalSidecar.Subscriptions;

/// <summary>The Kubernetes-style <c>metadata</c> block every Dapr resource carries; only the name matters to the sidecar.</summary>
internal static class ResourceMetadata
{
    public static string Name(YamlFields document)
    {
        var metadata = document.Map("metadata") ?? throw document.Error("metadata", "is required (with a name)");
        metadata.AllowOnly("name", "namespace", "labels", "annotations");
        return metadata.RequiredString("name");
    }
}
