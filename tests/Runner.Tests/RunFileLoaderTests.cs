using Runner.RunFiles;

namespace Runner.Tests;

public sealed class RunFileLoaderTests : IDisposable
{
    private readonly TempRepo _repo = new();

    public void Dispose() => _repo.Dispose();

    private RunFileException Rejected(string yaml) => Assert.Throws<RunFileException>(() => _repo.Load(yaml));

    [Fact]
    public void a_run_file_is_read_into_typed_records()
    {
        var file = _repo.Load("""
            version: 1
            name: shop-system
            common:
              logLevel: debug
              enableApiLogging: true
              appMaxConcurrency: 4
              resourcesPaths: [./components, ./more]
              env:
                DEBUG: "true"
            apps:
              - appID: catalog
                appDirPath: ./catalog
                appPort: 5001
                daprHTTPPort: 3501
                command: ["dotnet", "run"]
                appLogDestination: console
            """);

        Assert.Equal(1, file.Version);
        Assert.Equal("shop-system", file.Name);
        Assert.Equal("debug", file.Common.LogLevel);
        Assert.True(file.Common.EnableApiLogging);
        Assert.Equal(4, file.Common.AppMaxConcurrency);
        Assert.Equal(["./components", "./more"], file.Common.ResourcesPaths);
        Assert.Equal([new KeyValuePair<string, string>("DEBUG", "true")], file.Common.Env);
        var app = Assert.Single(file.Apps);
        Assert.Equal("catalog", app.AppId);
        Assert.Equal("./catalog", app.AppDirPath);
        Assert.Equal(5001, app.AppPort);
        Assert.Equal(3501, app.DaprHttpPort);
        Assert.Null(app.DaprGrpcPort);
        Assert.Equal(["dotnet", "run"], app.Command);
        Assert.Equal(LogDestination.Console, app.Shared.AppLogDestination);
        Assert.Null(app.Shared.DaprdLogDestination);
    }

    [Fact]
    public void a_missing_appDirPath_is_an_error_naming_the_file_the_app_and_the_key()
    {
        var error = Rejected("""
            version: 1
            apps:
              - appID: orders
                appDirPath: ./orders
              - appDirPath: ./payments
              - appID: catalog
                command: ["dotnet", "run"]
            """);

        Assert.Equal("dapr.yaml: apps[2] (catalog): appDirPath is required", error.Message);
    }

    [Fact]
    public void a_missing_appDirPath_of_an_app_without_id_names_its_position()
    {
        var error = Rejected("""
            version: 1
            apps:
              - appPort: 5000
            """);

        Assert.Equal("dapr.yaml: apps[0]: appDirPath is required", error.Message);
    }

    [Fact]
    public void an_unknown_key_in_an_app_is_an_error_naming_the_file_the_app_and_the_key()
    {
        var error = Rejected("""
            version: 1
            apps:
              - appID: shop
                appDirPath: ./shop
                appPrt: 5000
            """);

        Assert.StartsWith("dapr.yaml: apps[0] (shop): unknown key 'appPrt'", error.Message);
    }

    [Fact]
    public void an_unknown_key_in_common_is_an_error()
    {
        var error = Rejected("""
            version: 1
            common:
              logLevl: debug
            apps:
              - appDirPath: ./shop
            """);

        Assert.StartsWith("dapr.yaml: common: unknown key 'logLevl'", error.Message);
    }

    [Fact]
    public void an_unknown_top_level_key_is_an_error()
    {
        var error = Rejected("""
            version: 1
            services: []
            apps:
              - appDirPath: ./shop
            """);

        Assert.StartsWith("dapr.yaml: unknown key 'services'", error.Message);
    }

    [Fact]
    public void a_key_that_differs_only_in_case_is_rejected_with_a_hint()
    {
        var error = Rejected("""
            version: 1
            apps:
              - appId: shop
                appDirPath: ./shop
            """);

        Assert.Contains("unknown key 'appId'", error.Message);
        Assert.Contains("did you mean 'appID'?", error.Message);
    }

    [Fact]
    public void kubernetes_only_keys_are_accepted()
    {
        var file = _repo.Load("""
            version: 1
            apps:
              - appDirPath: ./shop
                containerImage: shop:latest
                containerImagePullPolicy: IfNotPresent
                createService: true
            """);

        Assert.Equal("shop:latest", file.Apps[0].ContainerImage);
        Assert.True(file.Apps[0].CreateService);
    }

    [Fact]
    public void a_missing_version_is_an_error()
    {
        var error = Rejected("""
            apps:
              - appDirPath: ./shop
            """);

        Assert.Equal("dapr.yaml: version is required (use version: 1)", error.Message);
    }

    [Fact]
    public void a_run_file_without_apps_is_an_error()
    {
        var error = Rejected("version: 1\napps: []\n");

        Assert.Equal("dapr.yaml: apps must be a list with at least one app", error.Message);
    }

    [Fact]
    public void a_port_that_is_not_a_number_is_an_error_naming_the_key()
    {
        var error = Rejected("""
            version: 1
            apps:
              - appID: shop
                appDirPath: ./shop
                daprHTTPPort: http
            """);

        Assert.StartsWith("dapr.yaml: apps[0] (shop): daprHTTPPort must be a whole number, got 'http'", error.Message);
    }

    [Fact]
    public void an_unknown_log_destination_is_an_error()
    {
        var error = Rejected("""
            version: 1
            common:
              daprdLogDestination: terminal
            apps:
              - appDirPath: ./shop
            """);

        Assert.Equal("dapr.yaml: common: daprdLogDestination 'terminal' is not one of file, console, fileAndConsole", error.Message);
    }

    [Fact]
    public void an_unknown_app_protocol_is_an_error()
    {
        var error = Rejected("""
            version: 1
            apps:
              - appID: shop
                appDirPath: ./shop
                appProtocol: tcp
            """);

        Assert.Equal("dapr.yaml: apps[0] (shop): appProtocol 'tcp' is not one of http, https, grpc, grpcs, h2c", error.Message);
    }

    [Fact]
    public void a_command_given_as_a_string_instead_of_a_list_is_an_error()
    {
        var error = Rejected("""
            version: 1
            apps:
              - appID: shop
                appDirPath: ./shop
                command: dotnet run
            """);

        Assert.StartsWith("dapr.yaml: apps[0] (shop): command must be a list", error.Message);
    }

    [Fact]
    public void text_that_is_not_yaml_is_reported_with_the_file_and_line()
    {
        var error = Rejected("version: 1\napps:\n  - appDirPath: [unclosed\n");

        Assert.StartsWith("dapr.yaml: not valid YAML at line", error.Message);
    }

    [Fact]
    public void a_key_given_twice_is_an_error_rather_than_last_one_wins()
    {
        var error = Rejected("version: 1\napps:\n  - appDirPath: ./shop\n    appPort: 1\n    appPort: 2\n");

        Assert.Equal("dapr.yaml: not valid YAML at line 5, column 5: Duplicate key appPort", error.Message);
    }

    [Fact]
    public void a_missing_run_file_is_reported_by_the_path_given()
    {
        var error = Assert.Throws<RunFileException>(() => RunFileLoader.Load(Path.Combine(_repo.Root, "nope.yaml")));

        Assert.Contains("nope.yaml: run file not found", error.Message);
    }
}
