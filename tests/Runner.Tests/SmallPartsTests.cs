using Npgsql;
using Runner.Infrastructure;
using Runner.Launching;
using Runner.Output;
using Runner.RunFiles;

namespace Runner.Tests;

public sealed class RunnerOptionsTests
{
    [Fact]
    public void the_run_file_and_flags_are_read_in_any_order()
    {
        var options = RunnerOptions.Parse(["--no-build", "--run-file", "dapr.yaml", "--no-infra", "--local"]);

        Assert.Equal(new RunnerOptions("dapr.yaml", true, true, true, null), options);
    }

    [Fact]
    public void the_short_run_file_flag_works_and_flags_default_to_off()
    {
        var options = RunnerOptions.Parse(["-f", "dapr.yaml"]);

        Assert.Equal(new RunnerOptions("dapr.yaml", false, false, false, null), options);
        Assert.Equal("Debug", options.BuildConfiguration);
    }

    [Theory]
    [InlineData(new[] { "--no-build" }, "the run file is required (-f dapr.yaml)")]
    [InlineData(new[] { "-f" }, "-f needs a value")]
    [InlineData(new[] { "-f", "dapr.yaml", "--fast" }, "unknown argument '--fast'")]
    public void a_wrong_command_line_is_explained(string[] args, string problem)
    {
        var error = Assert.Throws<UsageException>(() => RunnerOptions.Parse(args));

        Assert.Equal(problem, error.Problem);
    }
}

public sealed class LogPrefixerTests
{
    [Fact]
    public void without_colour_the_prefixes_are_the_dapr_cli_ones()
    {
        var prefixer = new LogPrefixer(useColor: false);

        Assert.Equal("== APP - shop == started", prefixer.Format(OutputSource.App, "shop", "started"));
        Assert.Equal("== DAPR - shop == started", prefixer.Format(OutputSource.Dapr, "shop", "started"));
    }

    [Fact]
    public void with_colour_an_app_and_its_sidecar_share_a_colour_and_apps_differ()
    {
        var prefixer = new LogPrefixer(useColor: true);

        var shopApp = prefixer.Prefix(OutputSource.App, "shop");
        var shopDapr = prefixer.Prefix(OutputSource.Dapr, "shop");
        var catalogApp = prefixer.Prefix(OutputSource.App, "catalog");

        Assert.Contains("== APP - shop ==", shopApp);
        Assert.EndsWith(Ansi.Reset, shopApp);
        Assert.Contains(shopApp[..5], shopDapr);
        Assert.NotEqual(shopApp[..5], catalogApp[..5]);
    }
}

public sealed class ProcessOutputRouteTests : IDisposable
{
    private readonly TempRepo _repo = new();

    public void Dispose() => _repo.Dispose();

    [Fact]
    public void file_and_console_writes_the_line_prefixed_to_the_console_and_plain_to_a_cli_named_log_file()
    {
        var console = new StringWriter();
        var logs = Path.Combine(_repo.Root, "shop", ".dapr", "logs");
        var route = ProcessOutputRoute.Create(new RunnerConsole(console, console, false), new LogPrefixer(false),
            OutputSource.App, "shop", LogDestination.FileAndConsole, logs, new DateTime(2026, 1, 2, 3, 4, 5));

        route.Write("hello");
        route.Dispose();

        Assert.Equal("== APP - shop == hello" + Environment.NewLine, console.ToString());
        Assert.Equal(Path.Combine(logs, "shop_app_20260102030405.log"), route.FilePath);
        Assert.Equal("hello" + Environment.NewLine, File.ReadAllText(route.FilePath!));
    }

    [Fact]
    public void file_only_keeps_sidecar_lines_off_the_console()
    {
        var console = new StringWriter();
        var logs = Path.Combine(_repo.Root, "logs");
        var route = ProcessOutputRoute.Create(new RunnerConsole(console, console, false), new LogPrefixer(false),
            OutputSource.Dapr, "shop", LogDestination.File, logs, new DateTime(2026, 1, 2, 3, 4, 5));

        route.Write("ready");
        route.Dispose();

        Assert.Equal("", console.ToString());
        Assert.EndsWith("shop_daprd_20260102030405.log", route.FilePath);
    }
}

public sealed class UrlTableTests : IDisposable
{
    private readonly TempRepo _repo = new();

    public void Dispose() => _repo.Dispose();

    [Fact]
    public void the_table_lists_each_app_with_its_urls_and_a_sample_invoke_call()
    {
        _repo.Dir("shop");
        _repo.Dir("worker");
        var plans = _repo.Plan("""
            version: 1
            apps:
              - appID: shop
                appDirPath: ./shop
                appPort: 5000
                daprHTTPPort: 3500
                daprGRPCPort: 50001
              - appID: worker
                appDirPath: ./worker
                daprHTTPPort: 3501
                daprGRPCPort: 50002
            """);

        var lines = UrlTable.Render(plans).Split(Environment.NewLine);

        Assert.Equal("APP ID  APP URL                SIDECAR HTTP           SIDECAR gRPC", lines[0]);
        Assert.Equal("shop    http://127.0.0.1:5000  http://127.0.0.1:3500  127.0.0.1:50001", lines[1]);
        Assert.Equal("worker  -                      http://127.0.0.1:3501  127.0.0.1:50002", lines[2]);
        Assert.Contains("curl http://localhost:3500/v1.0/invoke/shop/method/health", lines);
        Assert.Contains("curl http://localhost:3501/v1.0/invoke/worker/method/health", lines);
    }
}

public sealed class LocalModeNotesTests : IDisposable
{
    private readonly TempRepo _repo = new();

    public void Dispose() => _repo.Dispose();

    [Fact]
    public void keys_without_effect_locally_are_named_instead_of_silently_dropped()
    {
        var file = _repo.Load("""
            version: 1
            common:
              runtimePath: ~/.dapr
            apps:
              - appID: shop
                appDirPath: ./shop
                containerImage: shop:dev
                createService: true
            """);

        Assert.Equal(
            [
                "dapr.yaml: common: runtimePath is ignored: the local sidecar is used instead of an installed daprd",
                "dapr.yaml: apps[0] (shop): containerImage, createService only apply to Kubernetes runs and are ignored here",
            ],
            LocalModeNotes.For(file));
    }
}

public sealed class InfrastructureSettingsTests
{
    [Fact]
    public void ports_default_to_what_the_component_files_use_and_data_lives_under_dot_data()
    {
        var settings = InfraSettings.For("/repo", _ => null);

        Assert.Equal(new InfraSettings("/repo/.data", "127.0.0.1", 5432, 6379), settings);
        Assert.Equal("/repo/.data/postgres", settings.PostgresDataDirectory);
        Assert.Equal("/repo/.data/redis", settings.RedisDataDirectory);
    }

    [Fact]
    public void LOCAL_PG_PORT_and_LOCAL_REDIS_PORT_move_the_servers()
    {
        var env = new Dictionary<string, string> { ["LOCAL_PG_PORT"] = "55432", ["LOCAL_REDIS_PORT"] = "56379" };

        var settings = InfraSettings.For("/repo", env.GetValueOrDefault);

        Assert.Equal((55432, 56379), (settings.PostgresPort, settings.RedisPort));
    }

    [Fact]
    public void a_port_variable_that_is_not_a_port_is_an_error_naming_it()
    {
        var error = Assert.Throws<InfraException>(() => InfraSettings.For("/repo", name => name == "LOCAL_REDIS_PORT" ? "redis" : null));

        Assert.Equal("LOCAL_REDIS_PORT='redis' is not a TCP port (1-65535)", error.Message);
    }

    [Fact]
    public void as_root_postgres_runs_as_the_postgres_user_with_the_required_settings()
    {
        var commands = new PostgresCommands("/pg/bin", "/repo/.data/postgres", 5432, RunAsPostgresUser: true);

        Assert.Equal("runuser", commands.Server().FileName);
        Assert.Equal(
            ["-u", "postgres", "--", "/pg/bin/postgres", "-D", "/repo/.data/postgres",
             "-c", "listen_addresses=127.0.0.1", "-p", "5432", "-k", "/repo/.data",
             "-c", "wal_level=logical", "-c", "max_replication_slots=20", "-c", "max_wal_senders=20"],
            commands.Server().Arguments);
        Assert.Equal(
            ["-u", "postgres", "--", "/pg/bin/initdb", "-D", "/repo/.data/postgres", "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C"],
            commands.InitDb().Arguments);
    }

    [Fact]
    public void as_another_user_postgres_runs_directly()
    {
        var commands = new PostgresCommands("/pg/bin", "/repo/.data/postgres", 55432, RunAsPostgresUser: false);

        Assert.Equal("/pg/bin/postgres", commands.Server().FileName);
        Assert.Equal("/pg/bin/initdb", commands.InitDb().FileName);
    }

    [Fact]
    public void redis_keeps_an_append_only_file_in_its_data_folder_and_listens_on_loopback()
    {
        var spec = LocalRedis.ServerCommand("/usr/bin/redis-server", "/repo/.data/redis", "127.0.0.1", 6379);

        Assert.Equal(["--appendonly", "yes", "--dir", "/repo/.data/redis", "--bind", "127.0.0.1", "--port", "6379"], spec.Arguments);
    }
}

public sealed class SidecarLocatorTests : IDisposable
{
    private readonly TempRepo _repo = new();

    public void Dispose() => _repo.Dispose();

    [Fact]
    public void the_built_local_sidecar_is_started_with_dotnet()
    {
        var dll = _repo.File("tools/LocalSidecar/bin/Release/net10.0/local-daprd.dll");

        var program = SidecarLocator.Locate(_repo.Root, "Release", _ => null);

        Assert.Equal([dll], program.LeadingArguments);
        Assert.Equal("dotnet", Path.GetFileName(program.FileName));
    }

    [Fact]
    public void LOCAL_DAPRD_naming_an_executable_starts_it_directly()
    {
        var exe = _repo.File("bin/my-daprd");

        var program = SidecarLocator.Locate(_repo.Root, "Debug", name => name == "LOCAL_DAPRD" ? exe : null);

        Assert.Equal(exe, program.FileName);
        Assert.Empty(program.LeadingArguments);
    }

    [Fact]
    public void a_sidecar_that_is_not_built_is_an_error_that_says_what_to_do()
    {
        var error = Assert.Throws<RunnerException>(() => SidecarLocator.Locate(_repo.Root, "Debug", _ => null));

        Assert.Contains("local-daprd.dll is missing", error.Message);
        Assert.Contains("LOCAL_DAPRD", error.Message);
    }
}

public sealed class PostgresStartUpTests
{
    private static PostgresException StartingUp() => new("the database system is starting up", "FATAL", "FATAL", PostgresErrorCodes.CannotConnectNow);

    [Fact]
    public async Task a_server_still_recovering_is_waited_for_until_it_accepts_connections()
    {
        var attempts = 0;

        await LocalPostgres.WaitUntilAcceptingConnectionsAsync(_ =>
            ++attempts < 3 ? throw StartingUp() : Task.CompletedTask, TimeSpan.FromSeconds(10), () => false, CancellationToken.None);

        Assert.Equal(3, attempts);
    }

    [Fact]
    public async Task a_server_that_stays_in_start_up_past_the_timeout_is_reported()
    {
        await Assert.ThrowsAsync<PostgresException>(() => LocalPostgres.WaitUntilAcceptingConnectionsAsync(
            _ => throw StartingUp(), TimeSpan.FromMilliseconds(300), () => false, CancellationToken.None));
    }

    [Fact]
    public async Task other_errors_are_not_retried()
    {
        var attempts = 0;

        await Assert.ThrowsAsync<PostgresException>(() => LocalPostgres.WaitUntilAcceptingConnectionsAsync(_ =>
        {
            attempts++;
            throw new PostgresException("password authentication failed", "FATAL", "FATAL", PostgresErrorCodes.InvalidPassword);
        }, TimeSpan.FromSeconds(10), () => false, CancellationToken.None));

        Assert.Equal(1, attempts);
    }
}
