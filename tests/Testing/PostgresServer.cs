using System.Collections.Concurrent;
using System.Diagnostics;
using Dapr.Testing.Internal;
using Npgsql;

namespace Dapr.Testing;

/// <summary>
/// A real PostgreSQL server of our own: initdb'd into a temp folder, listening on a free loopback port,
/// configured for logical replication, and gone (process and folder) after <see cref="DisposeAsync"/>.
/// </summary>
/// <example>
/// <code>
/// await using var pg = await PostgresServer.StartAsync();
/// await using var conn = new NpgsqlConnection(pg.ConnectionString);
/// </code>
/// </example>
public sealed class PostgresServer : IAsyncDisposable, IExitCleanup
{
    public const string Superuser = "postgres";

    // A Unix socket path is limited to 107 bytes, and PostgreSQL appends "/.s.PGSQL.<port>" (up to 16).
    private const int MaxSocketDirectoryLength = 90;

    private readonly PostgresServerOptions _options;
    private readonly PostgresBinaries _binaries;
    private readonly OsUser? _runAs;
    private readonly string? _ownedFolder;
    private readonly string _workingDirectory;
    private readonly string _socketDirectory;
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private readonly ConcurrentDictionary<string, byte> _handedOutConnectionStrings = new();
    private ChildProcess? _process;
    private string _lastLog = "";
    private bool _disposed;

    private PostgresServer(PostgresServerOptions options, PostgresBinaries binaries, OsUser? runAs)
    {
        _options = options;
        _binaries = binaries;
        _runAs = runAs;
        Port = options.Port ?? FreePort.Next();
        if (options.PersistentDataDirectory is { } persistent)
        {
            DataDirectory = Path.GetFullPath(persistent);
            Directory.CreateDirectory(DataDirectory);
            _workingDirectory = DataDirectory;
            // Inside the data directory because that is the one folder we know the server may write to.
            // An empty value turns the socket off; clients here use TCP anyway.
            _socketDirectory = DataDirectory.Length <= MaxSocketDirectoryLength ? DataDirectory : "";
        }
        else
        {
            _ownedFolder = TempFolders.Create(TempFolders.PostgresPrefix);
            DataDirectory = Path.Combine(_ownedFolder, "data");
            _workingDirectory = _ownedFolder;
            _socketDirectory = _ownedFolder;
        }

        ExitCleanup.Register(this);
    }

    public string Host => "127.0.0.1";

    /// <summary>Stays the same across <see cref="RestartAsync"/>.</summary>
    public int Port { get; private set; }

    /// <summary>PGDATA.</summary>
    public string DataDirectory { get; }

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The superuser's connection string for the <c>postgres</c> database.</summary>
    public string ConnectionString => ConnectionStringFor("postgres");

    /// <summary>The last lines the server logged; worth printing when a test fails oddly.</summary>
    public string RecentLog => _process?.Output ?? _lastLog;

    public static async Task<PostgresServer> StartAsync(PostgresServerOptions? options = null, CancellationToken ct = default)
    {
        options ??= new PostgresServerOptions();
        Unix.EnsureSupported();
        var binaries = await PostgresBinaries.LocateAsync(options.BinDirectory).ConfigureAwait(false);
        // PostgreSQL refuses to run as root ("root execution of the PostgreSQL server is not permitted").
        var runAs = Environment.IsPrivilegedProcess ? await OsUser.LookupAsync(options.OsUser).ConfigureAwait(false) : null;

        var server = new PostgresServer(options, binaries, runAs);
        try
        {
            await server.InitializeAsync(ct).ConfigureAwait(false);
            return server;
        }
        catch (Exception)
        {
            await server.DisposeAfterFailedStartAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A connection string for <paramref name="database"/>; the superuser when <paramref name="user"/> is null.</summary>
    /// <remarks>
    /// The server trusts every local connection (initdb -A trust), so a password is sent but not checked;
    /// roles still decide what a connection may do.
    /// </remarks>
    /// <param name="pool"><see cref="ConnectionPool.ForTests"/> when null.</param>
    public string ConnectionStringFor(string database, string? user = null, string? password = null, ConnectionPool? pool = null)
    {
        pool ??= ConnectionPool.ForTests;
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = Host,
            Port = Port,
            Database = database,
            Username = user ?? Superuser,
            Password = password,
            Pooling = true,
            MinPoolSize = 0,
            MaxPoolSize = pool.MaxPoolSize,
            ConnectionIdleLifetime = (int)pool.IdleLifetime.TotalSeconds,
            ConnectionPruningInterval = (int)pool.PruningInterval.TotalSeconds,
            Timeout = 15,
            CommandTimeout = 60,
            // Without it a failing test shows "Detail redacted" instead of the offending row.
            IncludeErrorDetail = true,
        };
        var connectionString = builder.ConnectionString;
        _handedOutConnectionStrings.TryAdd(connectionString, 0);
        return connectionString;
    }

    /// <returns>The superuser's connection string for the new database.</returns>
    public async Task<string> CreateDatabaseAsync(string name, string? owner = null, CancellationToken ct = default)
    {
        var sql = $"CREATE DATABASE {QuoteIdentifier(name)}" + (owner is null ? "" : $" OWNER {QuoteIdentifier(owner)}");
        await ExecuteAsSuperuserAsync(sql, ct).ConfigureAwait(false);
        return ConnectionStringFor(name);
    }

    public Task CreateRoleAsync(
        string name, string password, bool login = true, bool replication = false, CancellationToken ct = default)
    {
        // DDL takes no parameters, hence the quoting.
        var sql = $"CREATE ROLE {QuoteIdentifier(name)} WITH {(login ? "LOGIN" : "NOLOGIN")} " +
                  $"{(replication ? "REPLICATION" : "NOREPLICATION")} PASSWORD {QuoteLiteral(password)}";
        return ExecuteAsSuperuserAsync(sql, ct);
    }

    /// <summary>Fast shutdown (SIGINT: open transactions roll back, clients are disconnected).</summary>
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

    /// <summary>SIGKILLs the postmaster and every backend: a crash, followed by recovery on the next start.</summary>
    /// <remarks>
    /// Every acknowledged commit survives, as with a production PostgreSQL whose processes crash (not its
    /// machine: fsync is off). That holds as long as synchronous_commit stays on; see ServerArguments.
    /// </remarks>
    public async Task KillAsync()
    {
        await _lifecycle.WaitAsync().ConfigureAwait(false);
        try
        {
            ThrowIfDisposed();
            if (_process is null)
            {
                return;
            }

            ClearPools();
            _process.KillTree();
            await ForgetProcessAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>Stops the server if it runs, then starts it again on the same data directory and port.</summary>
    public async Task RestartAsync(CancellationToken ct = default)
    {
        await _lifecycle.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            ThrowIfDisposed();
            await StopCoreAsync().ConfigureAwait(false);
            await StartProcessAsync(mayChangePort: false, ct).ConfigureAwait(false);
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>Stops the server and deletes its folder, unless it is a persistent data directory.</summary>
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

    public override string ToString() => $"PostgreSQL on {Host}:{Port} ({DataDirectory})";

    void IExitCleanup.BeginStopAtExit()
    {
        if (_ownedFolder is null)
        {
            // Data that is kept deserves a clean shutdown; a throwaway server just goes.
            SignalPostmaster(Unix.SigInt);
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

    private async Task InitializeAsync(CancellationToken ct)
    {
        if (_runAs is not null && (_ownedFolder is not null || Folders.IsEmpty(DataDirectory)))
        {
            // A fresh folder belongs to root with mode 0700; the postgres user must own it to create PGDATA in it.
            await _runAs.OwnAsync(_workingDirectory).ConfigureAwait(false);
        }

        if (Folders.IsEmpty(DataDirectory))
        {
            await ChildProcess.RunAsync(
                _binaries.InitDb,
                ["-D", DataDirectory, "-A", "trust", "-U", Superuser, "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"],
                TimeSpan.FromMinutes(2),
                _runAs,
                _workingDirectory).ConfigureAwait(false);
        }
        else if (!File.Exists(Path.Combine(DataDirectory, "PG_VERSION")))
        {
            throw new InvalidOperationException(
                $"'{DataDirectory}' is neither empty nor a PostgreSQL data directory (it has no PG_VERSION); " +
                "refusing to initdb over it.");
        }

        await StartProcessAsync(mayChangePort: _options.Port is null, ct).ConfigureAwait(false);
    }

    private async Task StartProcessAsync(bool mayChangePort, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            _process = ChildProcess.Start(_binaries.Postgres, ServerArguments(), _workingDirectory, _runAs);
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

    private List<string> ServerArguments()
    {
        List<string> args =
        [
            "-D", DataDirectory,
            "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-k", _socketDirectory,
            "-c", "listen_addresses=127.0.0.1",
            // Durability against power loss is worthless for throwaway data and costs most of a test's time.
            "-c", "fsync=off",
            "-c", "full_page_writes=off",
            // Not off: with fsync off a synchronous commit is just a write() to the page cache, and that write
            // is what lets a commit survive KillAsync. Measured here: with off, every commit made just before
            // a kill was lost (10 of 10), and 3000 one-row commits took ~2 s against ~1 s with on.
            "-c", "synchronous_commit=on",
            // Change data capture (outbox relays, Debezium-style readers) needs logical decoding.
            "-c", "wal_level=logical",
            "-c", "max_replication_slots=20",
            "-c", "max_wal_senders=20",
            // One shared server serves every test's own database in parallel.
            "-c", "max_connections=300",
        ];
        foreach (var (name, value) in _options.Settings)
        {
            args.AddRange(["-c", $"{name}={value}"]);
        }

        return args;
    }

    private async Task WaitUntilReadyAsync(ChildProcess process, CancellationToken ct)
    {
        var probe = new NpgsqlConnectionStringBuilder(ConnectionStringFor("postgres"))
        {
            Pooling = false,
            Timeout = 5,
        }.ConnectionString;
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
                    $"PostgreSQL exited with code {exitCode} while starting ({this}). Its log:\n{_lastLog.LastLines(40)}");
            }

            if (clock.Elapsed > _options.StartTimeout)
            {
                process.KillTree();
                await ForgetProcessAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
                throw new TimeoutException(
                    $"PostgreSQL did not accept connections within {_options.StartTimeout} ({this}). " +
                    $"Last connection error: {lastError?.Message}. Its log:\n{_lastLog.LastLines(40)}");
            }

            try
            {
                await using var connection = new NpgsqlConnection(probe);
                await connection.OpenAsync(ct).ConfigureAwait(false);
                await using var command = new NpgsqlCommand("SELECT current_setting('data_directory')", connection);
                var dataDirectory = (string?)await command.ExecuteScalarAsync(ct).ConfigureAwait(false);
                if (dataDirectory == DataDirectory)
                {
                    return;
                }

                // Another server holds our port; ours will fail to bind and exit, which the next turn sees.
                lastError = new InvalidOperationException($"port {Port} is answered by a server on '{dataDirectory}'");
            }
            catch (NpgsqlException e)
            {
                // Refused or "the database system is starting up": normal until the server is ready.
                lastError = e;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), ct).ConfigureAwait(false);
        }
    }

    private async Task StopCoreAsync()
    {
        if (_process is null)
        {
            return;
        }

        ClearPools();
        SignalPostmaster(Unix.SigInt);
        if (!await _process.WaitForExitAsync(_options.StopTimeout).ConfigureAwait(false))
        {
            Console.Error.WriteLine($"Dapr.Testing: {this} did not shut down within {_options.StopTimeout}; killing it.");
            _process.KillTree();
        }

        await ForgetProcessAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
    }

    private void SignalPostmaster(int signal)
    {
        if (_process is null || _process.HasExited)
        {
            return;
        }

        // Our child is the postmaster itself when started through setpriv, but its parent when started through
        // runuser; postmaster.pid names the right process either way.
        var pidFile = Path.Combine(DataDirectory, "postmaster.pid");
        if (File.Exists(pidFile) &&
            int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), out var postmasterPid))
        {
            Unix.Signal(postmasterPid, signal);
        }
        else
        {
            _process.Signal(signal);
        }
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

    /// <summary>Pooled connections to a stopped server are dead; without this the next test's first command fails.</summary>
    private void ClearPools()
    {
        foreach (var connectionString in _handedOutConnectionStrings.Keys)
        {
            using var connection = new NpgsqlConnection(connectionString);
            NpgsqlConnection.ClearPool(connection);
        }
    }

    private async Task ExecuteAsSuperuserAsync(string sql, CancellationToken ct)
    {
        ThrowIfDisposed();
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(ct).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private async Task DisposeAfterFailedStartAsync()
    {
        try
        {
            await DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception cleanupError)
        {
            // The start failure is what the caller needs to see, so it is the one rethrown; this one is still shown.
            Console.Error.WriteLine($"Dapr.Testing: cleaning up after a failed start of {this} failed too: {cleanupError}");
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private static string QuoteIdentifier(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static string QuoteLiteral(string literal) => "'" + literal.Replace("'", "''", StringComparison.Ordinal) + "'";
}
