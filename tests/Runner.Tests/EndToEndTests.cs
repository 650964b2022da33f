using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;

namespace Runner.Tests;

/// <summary>
/// Starts the real runner as a process. Only one at a time: each run starts several dotnet processes
/// and the machines this runs on have two cores.
/// </summary>
[CollectionDefinition(nameof(EndToEnd), DisableParallelization = true)]
public sealed class EndToEnd;

[Collection(nameof(EndToEnd))]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // signals, setsid and a shell-script dapr
public sealed class EndToEndTests : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);

    private readonly TempRepo _repo = new();
    private readonly string _records;

    public EndToEndTests() => _records = _repo.Dir("records");

    public void Dispose() => _repo.Dispose();

    [Fact]
    public async Task the_runner_starts_sidecars_and_apps_with_the_right_flags_and_env_prefixes_their_output_and_stops_them_on_SIGINT()
    {
        var shopDir = _repo.Dir("shop");
        var jobsDir = _repo.Dir("jobs");
        var components = _repo.Dir("components");
        _repo.File("dapr.yaml", $"""
            version: 1
            common:
              resourcesPaths: [./components]
              daprdLogDestination: console
              logLevel: debug
              env:
                SHARED_SETTING: from-common
                OVERRIDDEN: from-common
            apps:
              - appID: shop
                appDirPath: ./shop
                appPort: 0
                command: ["{BuiltPrograms.Dotnet}", "{BuiltPrograms.Path("FakeAppDll")}"]
                appLogDestination: console
                env:
                  OVERRIDDEN: from-app
              - appID: jobs
                appDirPath: ./jobs
                daprdLogDestination: file
            """);
        // The shop gets a port so the TCP health check is exercised too.
        var appPort = new Runner.Planning.LoopbackPortAllocator().AllocateFree();
        File.WriteAllText(_repo.RunFilePath, File.ReadAllText(_repo.RunFilePath).Replace("appPort: 0", $"appPort: {appPort}"));

        using var runner = StartRunner(["-f", _repo.RunFilePath, "--no-build", "--no-infra", "--local"],
            ("LOCAL_DAPRD", BuiltPrograms.Path("FakeDaprdDll")));

        await runner.WaitForLineAsync(l => l.Contains("You're up and running!"), StartTimeout);

        var shopSidecar = Record("daprd-shop.json");
        var jobsSidecar = Record("daprd-jobs.json");
        var shopApp = Record("app-shop.json");
        string[] sidecarArgs = [.. shopSidecar.GetProperty("args").EnumerateArray().Select(a => a.GetString()!)];
        string Flag(string name) => sidecarArgs[Array.IndexOf(sidecarArgs, name) + 1];

        Assert.Equal("shop", Flag("--app-id"));
        Assert.Equal(appPort.ToString(), Flag("--app-port"));
        Assert.Equal(components, Flag("--resources-path"));
        Assert.Equal("debug", Flag("--log-level"));
        Assert.Equal("http", Flag("--app-protocol"));
        Assert.Equal(shopDir, shopSidecar.GetProperty("cwd").GetString());
        Assert.Equal(jobsDir, jobsSidecar.GetProperty("cwd").GetString());

        var env = shopApp.GetProperty("env");
        Assert.Equal("shop", env.GetProperty("APP_ID").GetString());
        Assert.Equal(appPort.ToString(), env.GetProperty("APP_PORT").GetString());
        Assert.Equal(Flag("--dapr-http-port"), env.GetProperty("DAPR_HTTP_PORT").GetString());
        Assert.Equal(Flag("--dapr-grpc-port"), env.GetProperty("DAPR_GRPC_PORT").GetString());
        Assert.Equal(Flag("--metrics-port"), env.GetProperty("DAPR_METRICS_PORT").GetString());
        Assert.Equal("http", env.GetProperty("APP_PROTOCOL").GetString());
        Assert.Equal("from-common", env.GetProperty("SHARED_SETTING").GetString());
        Assert.Equal("from-app", env.GetProperty("OVERRIDDEN").GetString());
        Assert.Equal(_records, env.GetProperty("FAKE_RECORD_DIR").GetString());
        Assert.Equal(shopDir, shopApp.GetProperty("cwd").GetString());
        Assert.False(File.Exists(Path.Combine(_records, "app-jobs.json")), "an app without command must get only a sidecar");

        Assert.Contains(runner.Lines, l => l == "== APP - shop == fake app shop started (port " + appPort + ")");
        Assert.Contains(runner.Lines, l => l == "== APP - shop == fake app shop writes to stderr too");
        Assert.Contains(runner.Lines, l => l.StartsWith("== DAPR - shop == fake daprd for shop listening on ", StringComparison.Ordinal));
        Assert.DoesNotContain(runner.Lines, l => l.StartsWith("== DAPR - jobs ==", StringComparison.Ordinal));
        Assert.Contains(runner.Lines, l => l.Contains($"curl http://localhost:{Flag("--dapr-http-port")}/v1.0/invoke/shop/method/health"));
        var jobsLog = Assert.Single(Directory.GetFiles(Path.Combine(jobsDir, ".dapr", "logs"), "jobs_daprd_*.log"));

        int[] pids = [shopSidecar.GetProperty("pid").GetInt32(), jobsSidecar.GetProperty("pid").GetInt32(), shopApp.GetProperty("pid").GetInt32()];
        Assert.All(pids, pid => Assert.True(Signals.IsAlive(pid)));

        Assert.Equal(0, Signals.kill(runner.Process.Id, Signals.SigInt));
        var exitCode = await runner.WaitForExitAsync(StopTimeout);

        Assert.Equal(0, exitCode);
        Assert.All(pids, pid => Assert.False(Signals.IsAlive(pid), $"process {pid} still runs after the runner stopped"));
        Assert.True(File.Exists(Path.Combine(_records, "app-shop.stopped")), "the app should have been stopped gracefully, not killed");
        Assert.Contains("fake daprd for jobs listening on", File.ReadAllText(jobsLog));
        var stopApps = runner.Lines.ToList().FindIndex(l => l.Contains("Stopping app 'shop'"));
        var stopSidecars = runner.Lines.ToList().FindIndex(l => l.Contains("Stopping sidecar of"));
        Assert.True(stopApps >= 0 && stopSidecars > stopApps, "apps must be stopped before sidecars:\n" + runner.Output);
    }

    [Fact]
    public async Task a_dapr_cli_on_PATH_gets_the_run_file_and_its_exit_code_becomes_the_runners()
    {
        _repo.Dir("shop");
        _repo.File("dapr.yaml", "version: 1\napps:\n  - appDirPath: ./shop\n");
        var bin = _repo.Dir("bin");
        var dapr = _repo.File("bin/dapr", "#!/bin/sh\necho \"fake dapr got: $*\"\nexit 7\n");
        File.SetUnixFileMode(dapr, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        using var runner = StartRunner(["-f", _repo.RunFilePath, "--no-build"],
            ("PATH", bin + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH")));
        var exitCode = await runner.WaitForExitAsync(StartTimeout);

        Assert.Equal(7, exitCode);
        Assert.Contains($"fake dapr got: run -f {_repo.RunFilePath}", runner.Lines);
    }

    [Fact]
    public async Task an_invalid_run_file_stops_the_runner_before_anything_starts()
    {
        _repo.File("dapr.yaml", "version: 1\napps:\n  - appID: shop\n    appDirPath: ./shop\n    appPrt: 5000\n");

        using var runner = StartRunner(["-f", _repo.RunFilePath, "--no-build", "--no-infra", "--local"]);
        var exitCode = await runner.WaitForExitAsync(StartTimeout);

        Assert.Equal(2, exitCode);
        Assert.Contains(runner.Lines, l => l.Contains($"{_repo.RunFilePath}: apps[0] (shop): unknown key 'appPrt'"));
    }

    private JsonElement Record(string name) => JsonDocument.Parse(File.ReadAllText(Path.Combine(_records, name))).RootElement;

    private RunnerProcess StartRunner(string[] args, params (string Name, string Value)[] environment)
    {
        var info = new ProcessStartInfo(BuiltPrograms.Dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _repo.Root,
        };
        info.ArgumentList.Add(BuiltPrograms.Path("RunnerDll"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        info.Environment["FAKE_RECORD_DIR"] = _records;
        info.Environment["NO_COLOR"] = "1";
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }
        return new RunnerProcess(Process.Start(info)!);
    }

    /// <summary>The runner under test, with every line it printed (stdout and stderr) collected.</summary>
    private sealed class RunnerProcess : IDisposable
    {
        private readonly ConcurrentQueue<string> _lines = new();
        private readonly SemaphoreSlim _newLine = new(0);

        public RunnerProcess(Process process)
        {
            Process = process;
            process.OutputDataReceived += (_, e) => Add(e.Data);
            process.ErrorDataReceived += (_, e) => Add(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public Process Process { get; }

        public IReadOnlyCollection<string> Lines => [.. _lines];

        public string Output => string.Join("\n", _lines);

        public async Task WaitForLineAsync(Func<string, bool> matches, TimeSpan timeout)
        {
            using var deadline = new CancellationTokenSource(timeout);
            while (!_lines.Any(matches))
            {
                if (Process.HasExited)
                {
                    Assert.Fail($"the runner exited with {Process.ExitCode} before the expected line:\n{Output}");
                }
                try
                {
                    await _newLine.WaitAsync(TimeSpan.FromMilliseconds(500), deadline.Token);
                }
                catch (OperationCanceledException)
                {
                    Assert.Fail($"the expected line did not appear within {timeout.TotalSeconds} s:\n{Output}");
                }
            }
        }

        public async Task<int> WaitForExitAsync(TimeSpan timeout)
        {
            using var deadline = new CancellationTokenSource(timeout);
            try
            {
                await Process.WaitForExitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"the runner did not exit within {timeout.TotalSeconds} s:\n{Output}");
            }
            return Process.ExitCode;
        }

        public void Dispose()
        {
            // A failed test must not leave the runner (and what it started) behind; SIGINT lets it clean up.
            if (!Process.HasExited)
            {
                Signals.kill(Process.Id, Signals.SigInt);
                if (!Process.WaitForExit(TimeSpan.FromSeconds(20)))
                {
                    Process.Kill(entireProcessTree: true);
                }
            }
            Process.Dispose();
        }

        private void Add(string? line)
        {
            if (line is not null)
            {
                _lines.Enqueue(line);
                _newLine.Release();
            }
        }
    }
}
