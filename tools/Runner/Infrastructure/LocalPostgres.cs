using System.Globalization;
using Npgsql;
using Runner.Processes;

namespace Runner.Infrastructure;

/// <summary>
/// Makes sure PostgreSQL answers on the configured port: uses one that already listens, otherwise
/// initialises (once) and starts a private server whose data survives in <c>.data/postgres</c>.
/// </summary>
public sealed class LocalPostgres(InfraSettings settings, Func<string, string?> getEnvironmentVariable, Action<string> onOutput, Action<string> onStatus)
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Null when a server was already listening, so there is nothing of ours to stop later.</summary>
    public async Task<RunningServer?> EnsureRunningAsync(CancellationToken cancel)
    {
        var endpoint = $"{settings.Host}:{settings.PostgresPort}";
        if (await TcpProbe.IsListeningAsync(settings.Host, settings.PostgresPort, TimeSpan.FromSeconds(1), cancel))
        {
            onStatus($"PostgreSQL already listening on {endpoint}; using it");
            return null;
        }

        var commands = new PostgresCommands(
            PostgresCommands.LocateBinDirectory(getEnvironmentVariable),
            settings.PostgresDataDirectory,
            settings.PostgresPort,
            RunAsPostgresUser: Posix.IsRoot);
        await PrepareDataDirectoryAsync(commands, cancel);

        onStatus($"Starting PostgreSQL on {endpoint} (data in {commands.DataDirectory})");
        var server = ChildProcess.Start(commands.Server(), onOutput);
        var up = await TcpProbe.WaitUntilListeningAsync(settings.Host, settings.PostgresPort, StartTimeout, () => server.HasExited, cancel);
        if (!up)
        {
            var reason = server.HasExited ? $"it exited with code {await server.Exited}" : $"it did not listen within {StartTimeout.TotalSeconds:0} s";
            server.Kill();
            throw new InfraException($"PostgreSQL did not start on {endpoint}: {reason} (its output is above, prefixed INFRA - postgres)");
        }

        // Listening is not ready: after a crash the server replays its WAL first and answers 57P03 ("the database
        // system is starting up") to every connection meanwhile, which the apps starting next would die of.
        var admin = new NpgsqlConnectionStringBuilder { Host = settings.Host, Port = settings.PostgresPort, Username = "postgres", Database = "postgres" }.ConnectionString;
        await WaitUntilAcceptingConnectionsAsync(async ct =>
        {
            await using var connection = new NpgsqlConnection(admin);
            await connection.OpenAsync(ct);
        }, StartTimeout, () => server.HasExited, cancel);
        return new RunningServer("PostgreSQL", server, () => RequestFastShutdown(commands, server));
    }

    /// <summary>Retries <paramref name="connect"/> while the server answers 57P03 (starting up, e.g. recovering).</summary>
    public static async Task WaitUntilAcceptingConnectionsAsync(Func<CancellationToken, Task> connect, TimeSpan timeout, Func<bool> exited, CancellationToken cancel)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                await connect(cancel);
                return;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.CannotConnectNow && !exited() && DateTime.UtcNow < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), cancel);
            }
        }
    }

    private async Task PrepareDataDirectoryAsync(PostgresCommands commands, CancellationToken cancel)
    {
        Directory.CreateDirectory(commands.DataDirectory);
        if (commands.RunAsPostgresUser)
        {
            // The server runs as 'postgres', so it must own its data and be able to create its socket next to it.
            await RunOrThrowAsync(new ProcessSpec("chown", "chown", ["-R", $"{PostgresCommands.OsUser}:", commands.DataDirectory]), cancel);
            await RunOrThrowAsync(new ProcessSpec("chown", "chown", [$"{PostgresCommands.OsUser}:", commands.SocketDirectory]), cancel);
        }
        if (File.Exists(Path.Combine(commands.DataDirectory, "PG_VERSION")))
        {
            return;
        }
        onStatus($"Initialising a new PostgreSQL data folder in {commands.DataDirectory}");
        await RunOrThrowAsync(commands.InitDb(), cancel);
    }

    private static async Task RunOrThrowAsync(ProcessSpec spec, CancellationToken cancel)
    {
        var result = await CommandRunner.RunAsync(spec, cancel);
        if (!result.Succeeded)
        {
            throw new InfraException($"{spec.Description} failed with exit code {result.ExitCode}:{Environment.NewLine}{string.Join(Environment.NewLine, result.Output)}");
        }
    }

    /// <summary>
    /// SIGINT to the postmaster is PostgreSQL's "fast" shutdown. The postmaster is found through its
    /// pid file because, as root, the process we started is runuser, not the postmaster.
    /// </summary>
    private void RequestFastShutdown(PostgresCommands commands, ChildProcess server)
    {
        var pidFile = Path.Combine(commands.DataDirectory, "postmaster.pid");
        var firstLine = File.Exists(pidFile) ? File.ReadLines(pidFile).FirstOrDefault() : null;
        if (int.TryParse(firstLine, NumberStyles.None, CultureInfo.InvariantCulture, out var postmaster))
        {
            Posix.Send(postmaster, Posix.SigInt);
        }
        else
        {
            onStatus($"PostgreSQL: no readable {pidFile}; signalling the process we started instead");
            server.Signal(Posix.SigInt);
        }
    }
}
