using LocalSidecar.Components;

namespace LocalSidecar.Tests.Components;

public sealed class ResourceLoaderTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("resources-");

    public void Dispose() => _folder.Delete(recursive: true);

    private string Write(string name, string yaml)
    {
        var path = Path.Combine(_folder.FullName, name);
        File.WriteAllText(path, yaml);
        return path;
    }

    private LoadedResources Load(string appId = "orders") => new ResourceLoader(appId).Load([_folder.FullName]);

    [Fact]
    public void a_component_is_read_with_its_type_version_and_metadata()
    {
        Write("state.yaml", """
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata:
              name: statestore
            spec:
              type: state.redis
              version: v1
              metadata:
              - name: redisHost
                value: localhost:6379
              - name: ttlInSeconds
                value: 30
            """);

        var component = Assert.Single(Load().Components);

        Assert.Equal(("statestore", "state.redis", "v1", "state"), (component.Name, component.Type, component.Version, component.Category));
        Assert.Equal("localhost:6379", component.Metadata.Get("REDISHOST")); // names match case-insensitively, as in daprd
        Assert.Equal(30, component.Metadata.GetInt("ttlInSeconds", 0));
    }

    [Fact]
    public void a_component_scoped_to_other_apps_is_not_loaded()
    {
        Write("scoped.yaml", """
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata:
              name: catalog-store
            spec:
              type: state.in-memory
              version: v1
            scopes:
            - catalog
            """);

        Assert.Empty(Load("orders").Components);
        Assert.Single(Load("catalog").Components);
    }

    [Fact]
    public void several_documents_in_one_file_are_all_read()
    {
        Write("all.yaml", """
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata:
              name: one
            spec:
              type: state.in-memory
              version: v1
            ---
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata:
              name: two
            spec:
              type: state.in-memory
              version: v1
            """);

        Assert.Equal(["one", "two"], Load().Components.Select(c => c.Name));
    }

    [Fact]
    public void a_secret_key_ref_is_resolved_from_the_local_env_secret_store()
    {
        var variable = "LOCAL_SIDECAR_TEST_SECRET_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(variable, "s3cret");
        try
        {
            Write("secrets.yaml", """
                apiVersion: dapr.io/v1alpha1
                kind: Component
                metadata:
                  name: envsecrets
                spec:
                  type: secretstores.local.env
                  version: v1
                """);
            Write("state.yaml", $"""
                apiVersion: dapr.io/v1alpha1
                kind: Component
                metadata:
                  name: statestore
                spec:
                  type: state.redis
                  version: v1
                  metadata:
                  - name: redisPassword
                    secretKeyRef:
                      name: {variable}
                      key: {variable}
                auth:
                  secretStore: envsecrets
                """);

            var state = Load().Components.Single(c => c.Name == "statestore");

            Assert.Equal("s3cret", state.Metadata.Get("redisPassword"));
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [Fact]
    public void a_secret_key_ref_is_resolved_from_a_local_secrets_file_with_nested_keys()
    {
        File.WriteAllText(Path.Combine(_folder.FullName, "secrets.json"), """{ "db": { "password": "pw-from-file" } }""");
        Write("secrets.yaml", """
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata:
              name: filesecrets
            spec:
              type: secretstores.local.file
              version: v1
              metadata:
              - name: secretsFile
                value: secrets.json
            """);
        Write("state.yaml", """
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata:
              name: statestore
            spec:
              type: state.postgresql
              version: v1
              metadata:
              - name: password
                secretKeyRef:
                  name: "db:password"
            auth:
              secretStore: filesecrets
            """);

        Assert.Equal("pw-from-file", Load().Components.Single(c => c.Name == "statestore").Metadata.Get("password"));
    }

    [Fact]
    public void malformed_yaml_is_reported_with_the_file_and_line()
    {
        var file = Write("broken.yaml", "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: [unclosed\n");

        var error = Assert.Throws<ResourceException>(() => Load());

        Assert.Equal(file, error.File);
        Assert.Contains("malformed YAML at line", error.Message);
    }

    [Fact]
    public void a_missing_type_is_reported_with_the_component_and_field()
    {
        var file = Write("notype.yaml", """
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata:
              name: statestore
            spec:
              version: v1
            """);

        var error = Assert.Throws<ResourceException>(() => Load());

        Assert.Equal(file, error.File);
        Assert.Contains("'spec.type' is required", error.Message);
    }

    [Fact]
    public void an_unknown_field_is_an_error_rather_than_ignored()
    {
        Write("typo.yaml", """
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata:
              name: statestore
            spec:
              type: state.in-memory
              version: v1
              metdata: []
            """);

        var error = Assert.Throws<ResourceException>(() => Load());

        Assert.Contains("unknown field 'spec.metdata'", error.Message);
    }

    [Fact]
    public void a_secret_reference_without_a_secret_store_is_an_error()
    {
        Write("state.yaml", """
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata:
              name: statestore
            spec:
              type: state.redis
              version: v1
              metadata:
              - name: redisPassword
                secretKeyRef:
                  name: REDIS_PASSWORD
            """);

        var error = Assert.Throws<ResourceException>(() => Load());

        Assert.Contains("metadata 'redisPassword' uses secretKeyRef but the component has no 'auth.secretStore'", error.Message);
    }

    [Fact]
    public void two_components_with_one_name_are_an_error()
    {
        const string yaml = """
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata:
              name: statestore
            spec:
              type: state.in-memory
              version: v1
            """;
        Write("a.yaml", yaml);
        Write("b.yaml", yaml);

        var error = Assert.Throws<ResourceException>(() => Load());

        Assert.Contains("component name 'statestore' is already used", error.Message);
    }

    [Fact]
    public void an_unknown_kind_is_an_error()
    {
        Write("endpoint.yaml", """
            apiVersion: dapr.io/v1alpha1
            kind: HTTPEndpoint
            metadata:
              name: external
            """);

        Assert.Contains("kind 'HTTPEndpoint' is not supported", Assert.Throws<ResourceException>(() => Load()).Message);
    }
}
