using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Dapr.Testing.Apps;
using LocalSidecar.Hosting;

namespace Benchmarks.Platform;

public enum SidecarMode
{
    /// <summary><c>dotnet local-daprd.dll</c> as a child process: its own process, GC and thread pool, as daprd beside an app.</summary>
    Process,

    /// <summary><see cref="SidecarHost"/> inside the benchmark process: no process boundary for the CPU, same sockets.</summary>
    InProcess,
}

/// <summary>A running local sidecar the benchmark talks to over its real gRPC and HTTP ports.</summary>
public interface IRunningSidecar : IAsyncDisposable
{
    string Description { get; }

    string GrpcEndpoint { get; }

    string HttpEndpoint { get; }

    /// <summary>What the sidecar logged (warnings and errors only; it runs with <c>--log-level warn</c>).</summary>
    string RecentOutput { get; }
}

public static class Sidecars
{
    public static async Task<IRunningSidecar> StartAsync(SidecarMode mode, SidecarOptions options, CancellationToken ct)
    {
        IRunningSidecar sidecar = mode switch
        {
            SidecarMode.Process => SidecarProcess.Start(options),
            SidecarMode.InProcess => await InProcessSidecar.StartAsync(options, ct).ConfigureAwait(false),
            _ => throw new ArgumentOutOfRangeException(nameof(mode)),
        };
        try
        {
            await WaitUntilHealthyAsync(sidecar, ct).ConfigureAwait(false);
            return sidecar;
        }
        catch
        {
            await sidecar.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task WaitUntilHealthyAsync(IRunningSidecar sidecar, CancellationToken ct)
    {
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        Exception? last = null;
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (sidecar is SidecarProcess { HasExited: true } exited)
            {
                throw new InvalidOperationException($"{sidecar.Description} exited with code {exited.ExitCode} while starting:\n{sidecar.RecentOutput}");
            }

            try
            {
                using var response = await probe.GetAsync(new Uri(sidecar.HttpEndpoint + "/v1.0/healthz"), ct).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }

                last = new HttpRequestException($"healthz answered {(int)response.StatusCode}");
            }
            catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !ct.IsCancellationRequested))
            {
                last = e; // not listening yet
            }

            await Task.Delay(100, ct).ConfigureAwait(false);
        }

        throw new TimeoutException($"{sidecar.Description} was not healthy within 60 s (last probe: {last?.Message}):\n{sidecar.RecentOutput}");
    }
}

/// <summary>
/// <c>dotnet tools/LocalSidecar/bin/{Configuration}/net10.0/local-daprd.dll</c> with daprd's flags. Started from a
/// dedicated thread under <c>setpriv --pdeathsig KILL</c> when setpriv exists, so the kernel kills the sidecar if the
/// benchmark dies without cleaning up (the death signal belongs to the forking thread, hence a thread that lives as
/// long as the sidecar rather than a thread-pool thread).
/// </summary>
public sealed class SidecarProcess : IRunningSidecar
{
    private const int TailLines = 200;
    private const int SigTerm = 15;
    private readonly Process _process;
    private readonly Queue<string> _tail = new();
    private readonly Lock _tailGate = new();
    private readonly ManualResetEventSlim _release;
    private readonly SidecarOptions _options;
    private bool _disposed;

    private SidecarProcess(Process process, SidecarOptions options, ManualResetEventSlim release)
    {
        _process = process;
        _options = options;
        _release = release;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        _process.StandardInput.Close();
        AppDomain.CurrentDomain.ProcessExit += KillAtExit;
    }

    public string Description => $"local-daprd (pid {_process.Id}, app id {_options.AppId})";

    public string GrpcEndpoint => $"http://127.0.0.1:{_options.GrpcPort}";

    public string HttpEndpoint => $"http://127.0.0.1:{_options.HttpPort}";

    public bool HasExited => _process.HasExited;

    public int ProcessId => _process.Id;

    public int ExitCode => _process.ExitCode;

    public string RecentOutput
    {
        get
        {
            lock (_tailGate)
            {
                return string.Join('\n', _tail);
            }
        }
    }

    public static string Executable => BuildOutput.LocalDaprd;

    public static SidecarProcess Start(SidecarOptions options)
    {
        var args = new List<string>
        {
            Executable,
            "--app-id", options.AppId,
            "--dapr-http-port", Text(options.HttpPort),
            "--dapr-grpc-port", Text(options.GrpcPort),
            "--log-level", "warn",
        };
        if (options.AppPort is { } appPort)
        {
            args.AddRange(["--app-port", Text(appPort)]);
        }

        foreach (var path in options.ResourcesPaths)
        {
            args.AddRange(["--resources-path", path]);
        }

        var setpriv = new[] { "/usr/bin/setpriv", "/bin/setpriv" }.FirstOrDefault(File.Exists);
        var start = new ProcessStartInfo(setpriv ?? "dotnet")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = BuildOutput.RepositoryRoot,
        };
        if (setpriv is not null)
        {
            start.ArgumentList.Add("--pdeathsig");
            start.ArgumentList.Add("KILL");
            start.ArgumentList.Add("--");
            start.ArgumentList.Add("dotnet");
        }

        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["LOCAL_DAPR_NAME_RESOLUTION_DIR"] = options.NameResolutionDirectory;
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";

        Process? process = null;
        Exception? failure = null;
        var started = new ManualResetEventSlim();
        var release = new ManualResetEventSlim();
        var spawner = new Thread(() =>
        {
            try
            {
                process = Process.Start(start) ?? throw new InvalidOperationException("Process.Start returned null for local-daprd");
            }
            catch (Exception e)
            {
                failure = e;
            }

            started.Set();
            if (failure is null)
            {
                // The death signal is tied to this thread: it stays until the sidecar is disposed.
                release.Wait();
            }
        })
        {
            IsBackground = true,
            Name = "local-daprd spawner",
        };
        spawner.Start();
        started.Wait();
        if (failure is not null)
        {
            throw new InvalidOperationException($"could not start {start.FileName} {string.Join(' ', start.ArgumentList)}: {failure.Message}", failure);
        }

        return new SidecarProcess(process!, options, release);
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        AppDomain.CurrentDomain.ProcessExit -= KillAtExit;
        if (!_process.HasExited)
        {
            // A clean stop first (local-daprd handles SIGTERM like daprd), a kill if it does not come.
            if (Kill(_process.Id, SigTerm) != 0)
            {
                throw new InvalidOperationException($"kill(SIGTERM) of {Description} failed with errno {Marshal.GetLastPInvokeError()}");
            }

            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await _process.WaitForExitAsync(grace.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (grace.IsCancellationRequested)
            {
                await Console.Error.WriteLineAsync($"benchmarks: {Description} did not stop within 15 s of SIGTERM; killing it").ConfigureAwait(false);
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }

        _release.Set();
        _process.Dispose();
    }

    private void KillAtExit(object? sender, EventArgs e)
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_tailGate)
        {
            _tail.Enqueue(line);
            while (_tail.Count > TailLines)
            {
                _tail.Dequeue();
            }
        }
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}

/// <summary>The sidecar hosted in this process (<see cref="SidecarHost"/>), logging warnings and errors to a buffer.</summary>
public sealed class InProcessSidecar : IRunningSidecar
{
    private readonly SidecarHost _host;
    private readonly BufferLoggerProvider _log;

    private InProcessSidecar(SidecarHost host, BufferLoggerProvider log)
    {
        _host = host;
        _log = log;
    }

    public string Description => $"in-process local sidecar (app id {_host.Options.AppId})";

    public string GrpcEndpoint => _host.GrpcEndpoint;

    public string HttpEndpoint => _host.HttpEndpoint;

    public string RecentOutput => _log.Text;

    /// <summary>The sidecar's own services, for paths that call its building blocks without the transport.</summary>
    public IServiceProvider Services => _host.Services;

    public static async Task<InProcessSidecar> StartAsync(SidecarOptions options, CancellationToken ct)
    {
        var log = new BufferLoggerProvider();
        var host = await SidecarHost.StartAsync(options, logging => logging.AddProvider(log).SetMinimumLevel(LogLevel.Warning), ct).ConfigureAwait(false);
        return new InProcessSidecar(host, log);
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();
}
