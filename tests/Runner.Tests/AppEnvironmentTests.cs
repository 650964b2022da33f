using Runner.Planning;

namespace Runner.Tests;

public sealed class AppEnvironmentTests : IDisposable
{
    private readonly TempRepo _repo = new();

    public AppEnvironmentTests() => _repo.Dir("shop");

    public void Dispose() => _repo.Dispose();

    private AppLaunchPlan PlanOne(string yaml) => Assert.Single(_repo.Plan(yaml));

    [Fact]
    public void the_app_gets_the_dapr_variables_in_the_cli_order_followed_by_the_run_file_env()
    {
        var plan = PlanOne("""
            version: 1
            common:
              env:
                ConnectionStrings__Db: Host=127.0.0.1
            apps:
              - appID: shop
                appDirPath: ./shop
                appPort: 5000
                daprHTTPPort: 3500
                daprGRPCPort: 50001
                metricsPort: 9090
                appChannelAddress: 127.0.0.2
                env:
                  FEATURE: on
            """);

        Assert.Equal(
            [
                new("APP_ID", "shop"),
                new("APP_CHANNEL_ADDRESS", "127.0.0.2"),
                new("APP_PORT", "5000"),
                new("DAPR_HTTP_PORT", "3500"),
                new("DAPR_GRPC_PORT", "50001"),
                new("DAPR_METRICS_PORT", "9090"),
                new("APP_PROTOCOL", "http"),
                new("ConnectionStrings__Db", "Host=127.0.0.1"),
                new("FEATURE", "on"),
            ],
            AppEnvironment.Additions(plan));
    }

    [Fact]
    public void an_app_without_a_port_gets_no_APP_PORT_but_an_empty_channel_address_like_the_cli()
    {
        var plan = PlanOne("""
            version: 1
            apps:
              - appDirPath: ./shop
            """);

        var env = AppEnvironment.Additions(plan).ToDictionary();

        Assert.False(env.ContainsKey("APP_PORT"));
        Assert.Equal("", env["APP_CHANNEL_ADDRESS"]);
        Assert.Equal("41000", env["DAPR_HTTP_PORT"]);
        Assert.Equal("41001", env["DAPR_GRPC_PORT"]);
        Assert.Equal("41002", env["DAPR_METRICS_PORT"]);
    }

    [Fact]
    public void a_run_file_env_entry_overrides_a_dapr_variable_because_it_comes_last()
    {
        var plan = PlanOne("""
            version: 1
            apps:
              - appID: shop
                appDirPath: ./shop
                env:
                  APP_PROTOCOL: h2c
            """);

        var env = AppEnvironment.For(plan, []);

        Assert.Equal("h2c", env["APP_PROTOCOL"]);
    }

    [Fact]
    public void the_inherited_environment_is_kept_and_the_additions_win_over_it()
    {
        var plan = PlanOne("""
            version: 1
            apps:
              - appID: shop
                appDirPath: ./shop
            """);

        var env = AppEnvironment.For(plan, [new("PATH", "/usr/bin"), new("APP_ID", "stale")]);

        Assert.Equal("/usr/bin", env["PATH"]);
        Assert.Equal("shop", env["APP_ID"]);
    }

    [Theory]
    [InlineData("http", "https")]
    [InlineData("grpc", "grpcs")]
    [InlineData("h2c", "h2c")]
    public void appSSL_upgrades_the_protocol_the_app_is_told(string written, string told)
    {
        var plan = PlanOne($"""
            version: 1
            apps:
              - appDirPath: ./shop
                appProtocol: {written}
                appSSL: true
            """);

        Assert.Equal(told, AppEnvironment.Additions(plan).ToDictionary()["APP_PROTOCOL"]);
    }
}
