using System.Globalization;
using Dapr.Testing.Internal;

namespace Dapr.Testing.Apps;

/// <summary>
/// One app as the Dapr CLI runs it: the local sidecar (<c>local-daprd</c>) as a process with daprd's flags, and the
/// app as a process with APP_ID / APP_PORT / DAPR_HTTP_PORT / DAPR_GRPC_PORT. Both are real processes, so a test can
/// kill either one mid-flight and start it again with the same identity and ports.
/// </summary>
public sealed class DaprApp : IAsyncDisposable
{
    private static readonly HttpClient Probe = new() { Timeout = TimeSpan.FromSeconds(2) };
    private readonly DaprAppOptions _options;
    private ChildProcess? _sidecar;
    private ChildProcess? _app;

    private DaprApp(DaprAppOptions options)
    {
        _options = options;
        AppPort = options.AppAssembly is null ? null : FreePort.Next();
        HttpPort = FreePort.Next();
        GrpcPort = FreePort.Next();
    }

    public string AppId => _options.AppId;
    public int? AppPort { get; }
    public int HttpPort { get; }
    public int GrpcPort { get; }

    /// <summary>The sidecar's HTTP API, as DAPR_HTTP_ENDPOINT.</summary>
    public Uri SidecarHttp => new($"http://127.0.0.1:{HttpPort}");

    /// <summary>The sidecar's gRPC API, as DAPR_GRPC_ENDPOINT.</summary>
    public Uri SidecarGrpc => new($"http://127.0.0.1:{GrpcPort}");

    public Uri? AppUrl => AppPort is { } port ? new Uri($"http://127.0.0.1:{port}") : null;

    /// <summary>Calls a method of this app through its own sidecar, as another app would.</summary>
    public HttpClient CreateInvokeClient() => new() { BaseAddress = new Uri(SidecarHttp, $"/v1.0/invoke/{AppId}/method/") };

    public string Output => $"--- sidecar {AppId} ---\n{_sidecar?.Output}\n--- app {AppId} ---\n{_app?.Output}";

    public static async Task<DaprApp> StartAsync(DaprAppOptions options, CancellationToken ct = default)
    {
        var app = new DaprApp(options);
        try
        {
            await app.StartSidecarAsync(ct);
            await app.StartAppAsync(ct);
            return app;
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    public async Task StartSidecarAsync(CancellationToken ct = default)
    {
        var args = new List<string>
        {
            BuildOutput.LocalDaprd, "--app-id", AppId,
            "--dapr-http-port", Text(HttpPort), "--dapr-grpc-port", Text(GrpcPort),
        };
        if (AppPort is { } port)
        {
            args.AddRange(["--app-port", Text(port)]);
        }

        foreach (var path in _options.ResourcesPaths)
        {
            args.AddRange(["--resources-path", path]);
        }

        _sidecar = ChildProcess.Start("dotnet", args, BuildOutput.RepositoryRoot, runAs: null, Environment(sidecar: true));
        await WaitUntilAsync(new Uri(SidecarHttp, "/v1.0/healthz"), _sidecar, "sidecar", ct);
    }

    public async Task StartAppAsync(CancellationToken ct = default)
    {
        if (_options.AppAssembly is null)
        {
            return;
        }

        _app = ChildProcess.Start("dotnet", [_options.AppAssembly], Path.GetDirectoryName(_options.AppAssembly)!, runAs: null, Environment(sidecar: false));
        await WaitUntilAsync(new Uri(AppUrl!, _options.AppHealthPath), _app, "app", ct);
    }

    /// <summary>SIGKILL, as a crash: nothing is flushed, nothing is acknowledged.</summary>
    public async Task KillSidecarAsync() => await KillAsync(_sidecar);

    public async Task KillAppAsync() => await KillAsync(_app);

    public async ValueTask DisposeAsync()
    {
        await KillAsync(_app);
        await KillAsync(_sidecar);
    }

    private Dictionary<string, string?> Environment(bool sidecar)
    {
        var env = new Dictionary<string, string?>
        {
            ["APP_ID"] = AppId,
            ["APP_PORT"] = AppPort is { } port ? Text(port) : null,
            ["DAPR_HTTP_PORT"] = Text(HttpPort),
            ["DAPR_GRPC_PORT"] = Text(GrpcPort),
            ["LOCAL_DAPR_NAME_RESOLUTION_DIR"] = _options.NameResolutionDirectory,
            ["DOTNET_ENVIRONMENT"] = "Development",
        };
        foreach (var (name, value) in sidecar ? _options.SidecarEnvironment : _options.AppEnvironment)
        {
            env[name] = value;
        }

        return env;
    }

    private static async Task KillAsync(ChildProcess? process)
    {
        if (process is null || process.HasExited)
        {
            return;
        }

        process.KillTree();
        await process.WaitForExitAsync(TimeSpan.FromSeconds(10));
    }

    private static async Task WaitUntilAsync(Uri health, ChildProcess process, string what, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"the {what} exited with code {process.ExitCode} before it was healthy:\n{process.Output}");
            }

            try
            {
                using var response = await Probe.GetAsync(health, ct);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                // the probe timed out; try again until the deadline
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the {what} was not healthy at {health} within 60 s:\n{process.Output}");
            }

            await Task.Delay(100, ct);
        }
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}

public sealed record DaprAppOptions
{
    public required string AppId { get; init; }

    /// <summary>The app's built dll (see <see cref="BuildOutput.Assembly"/>); null runs a sidecar alone.</summary>
    public string? AppAssembly { get; init; }

    public IReadOnlyList<string> ResourcesPaths { get; init; } = [];

    /// <summary>Shared by every app of one test so that service invocation finds the others.</summary>
    public required string NameResolutionDirectory { get; init; }

    /// <summary>Probed until it answers 2xx; ServiceDefaults maps <c>/alive</c> without checking the sidecar.</summary>
    public string AppHealthPath { get; init; } = "/alive";

    public IReadOnlyDictionary<string, string?> AppEnvironment { get; init; } = new Dictionary<string, string?>();

    public IReadOnlyDictionary<string, string?> SidecarEnvironment { get; init; } = new Dictionary<string, string?>();
}
