using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Dapr.Testing.Internal;

namespace Dapr.Testing;

/// <summary>
/// A real redis-server of our own on a free loopback port, with no persistence by default, gone
/// (process and folder) after <see cref="DisposeAsync"/>.
/// </summary>
/// <example>
/// <code>
/// await using var redis = await RedisServer.StartAsync();
/// using var mux = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
/// </code>
/// </example>
public sealed class RedisServer : IAsyncDisposable, IExitCleanup
{
    private readonly RedisServerOptions _options;
    private readonly string _executable;
    private readonly string? _ownedFolder;
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private ChildProcess? _process;
    private string _lastLog = "";
    private bool _disposed;

    private RedisServer(RedisServerOptions options, string executable)
    {
        _options = options;
        _executable = executable;
        Port = options.Port ?? FreePort.Next();
        if (options.PersistentDataDirectory is { } persistent)
        {
            DataDirectory = Path.GetFullPath(persistent);
            Directory.CreateDirectory(DataDirectory);
        }
        else
        {
            _ownedFolder = TempFolders.Create(TempFolders.RedisPrefix);
            DataDirectory = _ownedFolder;
        }

        ExitCleanup.Register(this);
    }

    public string Host => "127.0.0.1";

    /// <summary>Stays the same across <see cref="RestartAsync"/>.</summary>
    public int Port { get; private set; }

    /// <summary>"127.0.0.1:port", as Dapr's redisHost metadata wants it.</summary>
    public string Endpoint => $"{Host}:{Port}";

    /// <summary>The server's --dir.</summary>
    public string DataDirectory { get; }

    /// <summary>For StackExchange.Redis.</summary>
    /// <remarks>
    /// abortConnect=false lets a multiplexer outlive <see cref="KillAsync"/> and <see cref="RestartAsync"/> and
    /// reconnect by itself, which crash tests rely on; allowAdmin permits FLUSHDB, INFO and the like.
    /// </remarks>
    public string ConnectionString => $"{Endpoint},abortConnect=false,allowAdmin=true";

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The last lines the server logged.</summary>
    public string RecentLog => _process?.Output ?? _lastLog;

    private bool AppendOnly => _options.AppendOnly ?? _ownedFolder is null;

    public static async Task<RedisServer> StartAsync(RedisServerOptions? options = null, CancellationToken ct = default)
    {
        options ??= new RedisServerOptions();
        Unix.EnsureSupported();
        var server = new RedisServer(options, LocateExecutable(options.ExecutablePath));
        try
        {
            await server.StartProcessAsync(mayChangePort: options.Port is null, ct).ConfigureAwait(false);
            return server;
        }
        catch (Exception)
        {
            try
            {
                await server.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception cleanupError)
            {
                // The start failure is what the caller needs to see, so it is the one rethrown; this one is still shown.
                Console.Error.WriteLine($"Dapr.Testing: cleaning up after a failed start of {server} failed too: {cleanupError}");
            }

            throw;
        }
    }

    /// <summary>Graceful shutdown (SIGTERM; the append-only file, if any, is flushed).</summary>
    public async Task StopAsync()
    {
        await _lifecycle.WaitAsync().ConfigureAwait(false);
        try
        {
            await StopCoreAsync().ConfigureAwait(false);
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>SIGKILLs the server: a crash. Without append-only mode its data is gone.</summary>
    public async Task KillAsync()
    {
        await _lifecycle.WaitAsync().ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_process is null)
            {
                return;
            }

            _process.KillTree();
            await ForgetProcessAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>Stops the server if it runs, then starts it again on the same folder and port.</summary>
    public async Task RestartAsync(CancellationToken ct = default)
    {
        await _lifecycle.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            await StopCoreAsync().ConfigureAwait(false);
            await StartProcessAsync(mayChangePort: false, ct).ConfigureAwait(false);
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>Stops the server and deletes its folder, unless it is a persistent one.</summary>
    public async ValueTask DisposeAsync()
    {
        await _lifecycle.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            try
            {
                await StopCoreAsync().ConfigureAwait(false);
            }
            finally
            {
                ExitCleanup.Unregister(this);
                if (_ownedFolder is not null)
                {
                    Folders.Delete(_ownedFolder);
                }
            }
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    public override string ToString() => $"redis-server on {Endpoint} ({DataDirectory})";

    void IExitCleanup.BeginStopAtExit()
    {
        if (_ownedFolder is null)
        {
            // Data that is kept deserves a clean shutdown; a throwaway server just goes.
            _process?.Signal(Unix.SigTerm);
        }
        else
        {
            _process?.KillTree();
        }
    }

    void IExitCleanup.FinishStopAtExit()
    {
        if (_process is { } process && !process.WaitForExit(TimeSpan.FromSeconds(10)))
        {
            process.KillTree();
            process.WaitForExit(TimeSpan.FromSeconds(10));
        }

        if (_ownedFolder is not null)
        {
            Folders.DeleteDetached(_ownedFolder);
        }
    }

    private static string LocateExecutable(string? configured)
    {
        if (configured is not null)
        {
            return Unix.IsExecutable(configured)
                ? configured
                : throw new InvalidOperationException($"RedisServerOptions.ExecutablePath '{configured}' is not an executable file.");
        }

        return Unix.FindOnPath("redis-server")
               ?? new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" }.FirstOrDefault(Unix.IsExecutable)
               ?? throw new InvalidOperationException(
                   "redis-server was not found on PATH, in /usr/bin or in /usr/local/bin. " +
                   "Install it with `apt-get install redis-server` (Debian/Ubuntu), or set RedisServerOptions.ExecutablePath.");
    }

    private async Task StartProcessAsync(bool mayChangePort, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            _process = ChildProcess.Start(_executable, ServerArguments(), DataDirectory, runAs: null);
            try
            {
                await WaitUntilReadyAsync(_process, ct).ConfigureAwait(false);
                return;
            }
            catch (PortTakenException) when (mayChangePort && attempt < 5)
            {
                // Someone bound the port between FreePort.Next() and the server's bind; take another.
                Port = FreePort.Next();
            }
        }
    }

    private List<string> ServerArguments() =>
    [
        "--port", Port.ToString(CultureInfo.InvariantCulture),
        "--bind", "127.0.0.1",
        // No RDB snapshots: a throwaway server has nothing to save, and a fork per save costs time.
        "--save", "",
        "--appendonly", AppendOnly ? "yes" : "no",
        "--dir", DataDirectory,
        // We own the process so that Kill really kills it; a daemon would escape.
        "--daemonize", "no",
    ];

    private async Task WaitUntilReadyAsync(ChildProcess process, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        Exception? lastError = null;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                var exitCode = process.ExitCode;
                await ForgetProcessAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
                if (_lastLog.Contains("Address already in use", StringComparison.Ordinal))
                {
                    throw new PortTakenException(Port, _lastLog);
                }

                throw new InvalidOperationException(
                    $"redis-server exited with code {exitCode} while starting ({this}). Its log:\n{_lastLog.LastLines(40)}");
            }

            if (clock.Elapsed > _options.StartTimeout)
            {
                process.KillTree();
                await ForgetProcessAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
                throw new TimeoutException(
                    $"redis-server did not answer PING within {_options.StartTimeout} ({this}). " +
                    $"Last error: {lastError?.Message}. Its log:\n{_lastLog.LastLines(40)}");
            }

            try
            {
                var (pong, pid) = await PingAsync(ct).ConfigureAwait(false);
                if (pong && pid == process.Id)
                {
                    return;
                }

                // "-LOADING" while an append-only file is replayed, or another server holding our port (ours will
                // then fail to bind and exit, which the next turn sees).
                lastError = new InvalidOperationException($"port {Port} answered PING={pong}, process_id={pid}, ours is {process.Id}");
            }
            catch (Exception e) when (e is SocketException or IOException)
            {
                lastError = e;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), ct).ConfigureAwait(false);
        }
    }

    /// <summary>PING plus INFO's process_id, so we know the answer comes from our process and not a stranger on the port.</summary>
    private async Task<(bool Pong, int? ProcessId)> PingAsync(CancellationToken ct)
    {
        using var client = new TcpClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        await client.ConnectAsync(IPAddress.Loopback, Port, timeout.Token).ConfigureAwait(false);
        await using var stream = client.GetStream();
        await stream.WriteAsync("PING\r\nINFO server\r\n"u8.ToArray(), timeout.Token).ConfigureAwait(false);
        using var reader = new StreamReader(stream, Encoding.ASCII);
        var pong = await reader.ReadLineAsync(timeout.Token).ConfigureAwait(false) == "+PONG";
        var infoHeader = await reader.ReadLineAsync(timeout.Token).ConfigureAwait(false);
        if (infoHeader is null || !infoHeader.StartsWith('$'))
        {
            return (pong, null);
        }

        var info = new char[int.Parse(infoHeader.AsSpan(1), CultureInfo.InvariantCulture)];
        await reader.ReadBlockAsync(info, timeout.Token).ConfigureAwait(false);
        var processId = new string(info)
            .Split("\r\n")
            .Where(line => line.StartsWith("process_id:", StringComparison.Ordinal))
            .Select(line => int.Parse(line.AsSpan("process_id:".Length), CultureInfo.InvariantCulture))
            .FirstOrDefault();
        return (pong, processId == 0 ? null : processId);
    }

    private async Task StopCoreAsync()
    {
        if (_process is null)
        {
            return;
        }

        _process.Signal(Unix.SigTerm);
        if (!await _process.WaitForExitAsync(_options.StopTimeout).ConfigureAwait(false))
        {
            Console.Error.WriteLine($"Dapr.Testing: {this} did not shut down within {_options.StopTimeout}; killing it.");
            _process.KillTree();
        }

        await ForgetProcessAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
    }

    private async Task ForgetProcessAsync(TimeSpan timeout)
    {
        var process = _process!;
        if (!await process.WaitForExitAsync(timeout).ConfigureAwait(false))
        {
            throw new TimeoutException($"{process} did not exit within {timeout} after being stopped or killed.");
        }

        _lastLog = process.Output;
        process.Dispose();
        _process = null;
    }
}
