using System.Net;
using System.Net.Sockets;
using Runner.Planning;
using Runner.RunFiles;

namespace Runner.Tests;

public sealed class RunPlannerTests : IDisposable
{
    private readonly TempRepo _repo = new();

    public RunPlannerTests()
    {
        _repo.Dir("shop");
        _repo.Dir("catalog");
    }

    public void Dispose() => _repo.Dispose();

    private AppLaunchPlan PlanOne(string yaml) => Assert.Single(_repo.Plan(yaml));

    [Fact]
    public void an_app_value_overrides_the_common_one()
    {
        var plan = PlanOne("""
            version: 1
            common:
              logLevel: debug
              appProtocol: grpc
              enableApiLogging: true
            apps:
              - appDirPath: ./shop
                logLevel: warn
                appProtocol: http
                enableApiLogging: false
            """);

        Assert.Equal("warn", plan.LogLevel);
        Assert.Equal("http", plan.AppProtocol);
        // Unlike the CLI's zero-value merge, an explicit false in the app wins over a common true.
        Assert.False(plan.EnableApiLogging);
    }

    [Fact]
    public void a_common_value_applies_to_an_app_that_does_not_set_it()
    {
        var plan = PlanOne("""
            version: 1
            common:
              logLevel: debug
              appHealthCheckPath: /healthz
              enableAppHealthCheck: true
            apps:
              - appDirPath: ./shop
            """);

        Assert.Equal("debug", plan.LogLevel);
        Assert.Equal("/healthz", plan.AppHealthCheckPath);
        Assert.True(plan.EnableAppHealthCheck);
    }

    [Fact]
    public void an_app_env_entry_overrides_the_common_one()
    {
        var plan = PlanOne("""
            version: 1
            common:
              env:
                LEVEL: common
                ONLY_COMMON: kept
            apps:
              - appDirPath: ./shop
                env:
                  LEVEL: app
                  ONLY_APP: added
            """);

        Assert.Equal(
            [new("ONLY_COMMON", "kept"), new("LEVEL", "app"), new("ONLY_APP", "added")],
            plan.Env);
    }

    [Fact]
    public void defaults_match_the_dapr_cli()
    {
        var plan = PlanOne("""
            version: 1
            apps:
              - appDirPath: ./shop
            """);

        Assert.Equal("shop", plan.AppId);
        Assert.Equal("http", plan.AppProtocol);
        Assert.Equal("", plan.AppChannelAddress);
        Assert.Equal(LogDestination.File, plan.DaprdLogDestination);
        Assert.Equal(LogDestination.FileAndConsole, plan.AppLogDestination);
        Assert.Empty(plan.Command);
        Assert.Empty(plan.ResourcesPaths);
        Assert.Null(plan.ConfigFilePath);
    }

    [Fact]
    public void appDirPath_resolves_against_the_run_file_folder()
    {
        var plan = PlanOne("""
            version: 1
            apps:
              - appDirPath: shop
            """);

        Assert.Equal(Path.Combine(_repo.Root, "shop"), plan.AppDirPath);
    }

    [Fact]
    public void common_relative_paths_resolve_against_the_run_file_folder()
    {
        _repo.Dir("components");
        _repo.File("config/dapr.yaml");

        var plan = PlanOne("""
            version: 1
            common:
              resourcesPaths: [./components]
              configFilePath: config/dapr.yaml
            apps:
              - appDirPath: ./shop
            """);

        Assert.Equal([Path.Combine(_repo.Root, "components")], plan.ResourcesPaths);
        Assert.Equal(Path.Combine(_repo.Root, "config", "dapr.yaml"), plan.ConfigFilePath);
    }

    [Fact]
    public void app_relative_paths_resolve_against_appDirPath()
    {
        _repo.Dir("shop/components");
        _repo.File("shop/settings/config.yaml");

        var plan = PlanOne("""
            version: 1
            apps:
              - appDirPath: ./shop
                resourcesPaths: [./components]
                configFilePath: settings/config.yaml
            """);

        Assert.Equal([Path.Combine(_repo.Root, "shop", "components")], plan.ResourcesPaths);
        Assert.Equal(Path.Combine(_repo.Root, "shop", "settings", "config.yaml"), plan.ConfigFilePath);
    }

    [Fact]
    public void absolute_paths_are_kept_as_given()
    {
        var elsewhere = _repo.Dir("elsewhere/components");

        var plan = PlanOne($"""
            version: 1
            apps:
              - appDirPath: ./shop
                resourcesPaths: ["{elsewhere}"]
            """);

        Assert.Equal([elsewhere], plan.ResourcesPaths);
    }

    [Fact]
    public void a_resources_folder_inside_the_app_wins_over_common_resourcesPaths()
    {
        _repo.Dir("components");
        var local = _repo.Dir("shop/.dapr/resources");

        var plan = PlanOne("""
            version: 1
            common:
              resourcesPaths: [./components]
            apps:
              - appDirPath: ./shop
            """);

        Assert.Equal([local], plan.ResourcesPaths);
    }

    [Fact]
    public void app_resourcesPaths_win_over_the_resources_folder_inside_the_app()
    {
        _repo.Dir("shop/.dapr/resources");
        var own = _repo.Dir("shop/components");

        var plan = PlanOne("""
            version: 1
            apps:
              - appDirPath: ./shop
                resourcesPaths: [components]
            """);

        Assert.Equal([own], plan.ResourcesPaths);
    }

    [Fact]
    public void the_deprecated_resourcesPath_is_added_after_resourcesPaths()
    {
        var first = _repo.Dir("components");
        var legacy = _repo.Dir("legacy");

        var plan = PlanOne("""
            version: 1
            common:
              resourcesPath: ./legacy
              resourcesPaths: [./components]
            apps:
              - appDirPath: ./shop
            """);

        Assert.Equal([first, legacy], plan.ResourcesPaths);
    }

    [Fact]
    public void a_config_yaml_inside_the_app_wins_over_the_common_configFilePath()
    {
        _repo.File("config.yaml");
        var local = _repo.File("shop/.dapr/config.yaml");

        var plan = PlanOne("""
            version: 1
            common:
              configFilePath: ./config.yaml
            apps:
              - appDirPath: ./shop
            """);

        Assert.Equal(local, plan.ConfigFilePath);
    }

    [Fact]
    public void a_path_that_does_not_exist_is_an_error_naming_the_app_and_the_key()
    {
        _repo.Dir("shop/components");

        var error = Assert.Throws<RunFileException>(() => _repo.Plan("""
            version: 1
            apps:
              - appID: shop
                appDirPath: ./shop
                resourcesPaths: [./components, ./missing]
            """));

        Assert.Equal($"dapr.yaml: apps[0] (shop): resourcesPaths[1] '{Path.Combine(_repo.Root, "shop", "missing")}' does not exist", error.Message);
    }

    [Fact]
    public void an_appDirPath_that_does_not_exist_is_an_error()
    {
        var error = Assert.Throws<RunFileException>(() => _repo.Plan("""
            version: 1
            apps:
              - appID: billing
                appDirPath: ./billing
            """));

        Assert.Equal($"dapr.yaml: apps[0] (billing): appDirPath '{Path.Combine(_repo.Root, "billing")}' is not an existing folder", error.Message);
    }

    [Fact]
    public void missing_dapr_ports_are_allocated_and_given_ones_are_kept()
    {
        var plans = _repo.Plan("""
            version: 1
            apps:
              - appDirPath: ./shop
                appPort: 5000
                daprHTTPPort: 3500
              - appDirPath: ./catalog
            """);

        Assert.Equal((5000, 3500, 41000, 41001), (plans[0].AppPort, plans[0].DaprHttpPort, plans[0].DaprGrpcPort, plans[0].MetricsPort));
        Assert.Equal((41002, 41003, 41004), (plans[1].DaprHttpPort, plans[1].DaprGrpcPort, plans[1].MetricsPort));
    }

    [Fact]
    public void an_app_without_appPort_gets_no_port()
    {
        var plan = PlanOne("""
            version: 1
            apps:
              - appDirPath: ./shop
                appPort: 0
            """);

        Assert.Null(plan.AppPort);
    }

    [Fact]
    public void the_loopback_allocator_hands_out_distinct_ports_that_nobody_listens_on()
    {
        var allocator = new LoopbackPortAllocator();

        var ports = Enumerable.Range(0, 20).Select(_ => allocator.AllocateFree()).ToList();

        Assert.Equal(ports.Count, ports.Distinct().Count());
        Assert.All(ports, port => Assert.True(allocator.IsFree(port)));
    }

    [Fact]
    public void the_same_port_configured_twice_is_an_error_naming_both_places()
    {
        var error = Assert.Throws<RunFileException>(() => _repo.Plan("""
            version: 1
            apps:
              - appID: shop
                appDirPath: ./shop
                daprHTTPPort: 3500
              - appID: catalog
                appDirPath: ./catalog
                appPort: 3500
            """));

        Assert.Equal("dapr.yaml: apps[1] (catalog): appPort 3500 is also used by apps[0] (shop) daprHTTPPort", error.Message);
    }

    [Fact]
    public void a_configured_dapr_port_already_in_use_is_an_error()
    {
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var port = ((IPEndPoint)squatter.LocalEndpoint).Port;

        var error = Assert.Throws<RunFileException>(() => _repo.Plan($"""
            version: 1
            apps:
              - appID: shop
                appDirPath: ./shop
                daprGRPCPort: {port}
            """, new LoopbackPortAllocator()));

        Assert.Equal($"dapr.yaml: apps[0] (shop): daprGRPCPort {port} is already in use by another process", error.Message);
    }

    [Fact]
    public void two_apps_that_end_up_with_the_same_id_are_an_error()
    {
        _repo.Dir("other/shop");

        var error = Assert.Throws<RunFileException>(() => _repo.Plan("""
            version: 1
            apps:
              - appDirPath: ./shop
              - appDirPath: ./other/shop
            """));

        Assert.StartsWith("dapr.yaml: appID 'shop' is used by apps[0] and apps[1]", error.Message);
    }

    [Fact]
    public void a_command_program_with_a_folder_resolves_against_appDirPath()
    {
        var plan = PlanOne("""
            version: 1
            apps:
              - appDirPath: ./shop
                command: ["./run.sh", "--fast"]
            """);

        Assert.Equal([Path.Combine(_repo.Root, "shop", "run.sh"), "--fast"], plan.Command);
    }

    [Fact]
    public void a_bare_command_program_is_left_for_the_PATH_lookup()
    {
        var plan = PlanOne("""
            version: 1
            apps:
              - appDirPath: ./shop
                command: ["dotnet", "run"]
            """);

        Assert.Equal(["dotnet", "run"], plan.Command);
    }
}
