using System.Net;
using Dapr;
using Dapr.Client;
using Grpc.Core;
using LocalSidecar.Components;
using LocalSidecar.Hosting;
using LocalSidecar.Tests.Infrastructure;

namespace LocalSidecar.Tests.Conformance;

/// <summary>Health, metadata, API token and start-up errors: what every app and orchestrator relies on.</summary>
public sealed class SidecarApiConformance
{
    private static string InMemoryStore(string name, params string[] scopes)
        => ComponentYaml.Component(name, "state.in-memory", [], scopes.Length == 0 ? null : scopes);

    [Fact]
    public async Task health_answers_204_and_the_sdk_sees_a_healthy_sidecar()
    {
        await using var sidecar = await TestSidecar.StartAsync("health", [InMemoryStore("statestore")]);

        Assert.Equal(HttpStatusCode.NoContent, (await sidecar.Http.GetAsync("/v1.0/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await sidecar.Http.GetAsync("/v1.0/healthz/outbound")).StatusCode);
        Assert.True(await sidecar.Client.CheckHealthAsync());
        await sidecar.Client.WaitForSidecarAsync(new CancellationTokenSource(TimeSpan.FromSeconds(5)).Token);
    }

    [Fact]
    public async Task metadata_names_the_app_and_only_the_components_in_its_scope()
    {
        await using var sidecar = await TestSidecar.StartAsync("catalog",
            [InMemoryStore("catalog-store", "catalog"), InMemoryStore("cart-store", "cart"), InMemoryStore("shared")]);

        var metadata = await sidecar.Client.GetMetadataAsync();

        Assert.Equal("catalog", metadata.Id);
        Assert.Equal(["catalog-store", "shared"], metadata.Components.Select(c => c.Name).Order());
        Assert.Contains("TRANSACTIONAL", metadata.Components.First().Capabilities);
    }

    [Fact]
    public async Task a_component_scoped_to_another_app_is_not_found()
    {
        await using var sidecar = await TestSidecar.StartAsync("orders", [InMemoryStore("cart-store", "cart"), InMemoryStore("orders-store", "orders")]);

        var error = await Assert.ThrowsAsync<DaprException>(() => sidecar.Client.GetStateAsync<string>("cart-store", "k"));

        Assert.Equal(StatusCode.InvalidArgument, Assert.IsType<RpcException>(error.InnerException).StatusCode);
    }

    [Fact]
    public async Task with_an_api_token_calls_without_it_are_refused_and_calls_with_it_pass()
    {
        await using var sidecar = await TestSidecar.StartAsync("secured", [InMemoryStore("statestore")], apiToken: "t0ken");

        using var anonymous = new DaprClientBuilder().UseGrpcEndpoint(sidecar.Host.GrpcEndpoint).UseHttpEndpoint(sidecar.Host.HttpEndpoint).Build();
        var refused = await Assert.ThrowsAsync<DaprException>(() => anonymous.GetStateAsync<string>("statestore", "k"));
        Assert.Equal(StatusCode.Unauthenticated, Assert.IsType<RpcException>(refused.InnerException).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await sidecar.Http.GetAsync("/v1.0/state/statestore/k")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await sidecar.Http.GetAsync("/v1.0/healthz")).StatusCode);

        await sidecar.Client.SaveStateAsync("statestore", "k", "v"); // the test client carries the token
        Assert.Equal("v", await sidecar.Client.GetStateAsync<string>("statestore", "k"));
    }

    [Fact]
    public async Task an_unknown_component_type_stops_start_up_naming_the_file_and_type()
    {
        var resources = Directory.CreateTempSubdirectory("bad-resources-");
        try
        {
            var file = Path.Combine(resources.FullName, "store.yaml");
            await File.WriteAllTextAsync(file, ComponentYaml.Component("statestore", "state.cassandra", []));

            var error = await Assert.ThrowsAsync<ResourceException>(() => SidecarHost.StartAsync(new SidecarOptions
            {
                AppId = "x",
                HttpPort = Dapr.Testing.FreePort.Next(),
                GrpcPort = Dapr.Testing.FreePort.Next(),
                ResourcesPaths = [resources.FullName],
            }));

            Assert.Equal(file, error.File);
            Assert.Contains("type 'state.cassandra' is not supported", error.Message);
        }
        finally
        {
            resources.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData(new[] { "--app-port", "5000" }, "--app-id is required")]
    [InlineData(new[] { "--app-id", "a", "--dapr-http-port", "x" }, "--dapr-http-port needs a port number")]
    [InlineData(new[] { "--app-id", "a", "--no-such-flag" }, "unknown flag --no-such-flag")]
    public void bad_command_lines_are_rejected_with_the_flag_named(string[] args, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => SidecarOptions.Parse(args, _ => null));

        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void daprd_flags_and_environment_become_sidecar_options()
    {
        var options = SidecarOptions.Parse(
            ["--app-id", "cart", "--app-port=5001", "--dapr-http-port", "3501", "--dapr-grpc-port", "50002", "--resources-path", "components", "--resources-path", "extra"],
            name => name switch { "DAPR_API_TOKEN" => "api", "APP_API_TOKEN" => "app", _ => null });

        Assert.Equal(("cart", 5001, 3501, 50002), (options.AppId, options.AppPort, options.HttpPort, options.GrpcPort));
        Assert.Equal(["components", "extra"], options.ResourcesPaths);
        Assert.Equal(("api", "app"), (options.ApiToken, options.AppApiToken));
    }
}
