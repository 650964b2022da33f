using Runner.Planning;

namespace Runner.Tests;

public sealed class SidecarArgumentsTests : IDisposable
{
    private readonly TempRepo _repo = new();

    public SidecarArgumentsTests() => _repo.Dir("shop");

    public void Dispose() => _repo.Dispose();

    [Fact]
    public void a_minimal_app_gets_only_the_flags_for_values_present()
    {
        var plan = Assert.Single(_repo.Plan("""
            version: 1
            apps:
              - appID: shop
                appDirPath: ./shop
            """));

        Assert.Equal(
            ["--app-id", "shop", "--dapr-http-port", "41000", "--dapr-grpc-port", "41001", "--metrics-port", "41002", "--app-protocol", "http"],
            SidecarArguments.For(plan));
    }

    [Fact]
    public void every_configured_setting_becomes_its_daprd_flag()
    {
        var components = _repo.Dir("components");
        var secrets = _repo.Dir("secrets");
        var config = _repo.File("config.yaml");

        var plan = Assert.Single(_repo.Plan("""
            version: 1
            common:
              resourcesPaths: [./components, ./secrets]
              configFilePath: ./config.yaml
              logLevel: debug
              enableApiLogging: true
            apps:
              - appID: shop
                appDirPath: ./shop
                appPort: 5000
                daprHTTPPort: 3500
                daprGRPCPort: 50001
                metricsPort: 9090
                appChannelAddress: 127.0.0.1
                appProtocol: grpc
                enableAppHealthCheck: true
                appHealthCheckPath: /ready
                appHealthProbeInterval: 5
                appHealthThreshold: 3
                appMaxConcurrency: 10
            """));

        Assert.Equal(
            [
                "--app-id", "shop",
                "--app-port", "5000",
                "--dapr-http-port", "3500",
                "--dapr-grpc-port", "50001",
                "--metrics-port", "9090",
                "--app-channel-address", "127.0.0.1",
                "--app-protocol", "grpc",
                "--resources-path", components,
                "--resources-path", secrets,
                "--config", config,
                "--log-level", "debug",
                "--enable-api-logging",
                "--app-max-concurrency", "10",
                "--enable-app-health-check",
                "--app-health-check-path", "/ready",
                "--app-health-probe-interval", "5",
                "--app-health-threshold", "3",
            ],
            SidecarArguments.For(plan));
    }

    [Fact]
    public void a_switch_turned_off_in_the_app_produces_no_flag()
    {
        var plan = Assert.Single(_repo.Plan("""
            version: 1
            common:
              enableApiLogging: true
            apps:
              - appDirPath: ./shop
                enableApiLogging: false
            """));

        Assert.DoesNotContain("--enable-api-logging", SidecarArguments.For(plan));
    }
}
