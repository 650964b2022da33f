using System.Globalization;
using Runner.Processes;

namespace Runner.Infrastructure;

/// <summary>
/// The exact initdb and postgres command lines. PostgreSQL refuses to run as root, so as root
/// both go through <c>runuser -u postgres --</c>.
/// </summary>
public sealed record PostgresCommands(string BinDirectory, string DataDirectory, int Port, bool RunAsPostgresUser)
{
    public const string OsUser = "postgres";

    /// <summary>The socket goes next to the data folder rather than /var/run/postgresql, which may not exist or be writable.</summary>
    public string SocketDirectory => Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(DataDirectory))!;

    public ProcessSpec InitDb() => Wrap("initdb (PostgreSQL)", Path.Combine(BinDirectory, "initdb"),
        ["-D", DataDirectory, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C"]);

    public ProcessSpec Server() => Wrap("PostgreSQL", Path.Combine(BinDirectory, "postgres"),
        ["-D", DataDirectory,
         "-c", "listen_addresses=127.0.0.1",
         "-p", Port.ToString(CultureInfo.InvariantCulture),
         "-k", SocketDirectory,
         // Logical replication is what change-data-capture style consumers need.
         "-c", "wal_level=logical",
         "-c", "max_replication_slots=20",
         "-c", "max_wal_senders=20"]);

    private ProcessSpec Wrap(string description, string program, IReadOnlyList<string> args) =>
        RunAsPostgresUser
            ? new ProcessSpec(description, "runuser", ["-u", OsUser, "--", program, .. args])
            : new ProcessSpec(description, program, args);

    /// <summary>The newest PostgreSQL under /usr/lib/postgresql (Debian's layout), or LOCAL_PG_BIN when set.</summary>
    public static string LocateBinDirectory(Func<string, string?> getEnvironmentVariable)
    {
        var fromEnv = getEnvironmentVariable("LOCAL_PG_BIN");
        if (!string.IsNullOrWhiteSpace(fromEnv))
        {
            return File.Exists(Path.Combine(fromEnv, "postgres"))
                ? fromEnv
                : throw new InfraException($"LOCAL_PG_BIN='{fromEnv}' holds no 'postgres' program");
        }
        const string debianRoot = "/usr/lib/postgresql";
        var newest = Directory.Exists(debianRoot)
            ? Directory.GetDirectories(debianRoot)
                .Select(dir => (dir, version: int.TryParse(Path.GetFileName(dir), out var v) ? v : -1))
                .Where(x => x.version >= 0 && File.Exists(Path.Combine(x.dir, "bin", "postgres")))
                .OrderByDescending(x => x.version)
                .Select(x => Path.Combine(x.dir, "bin"))
                .FirstOrDefault()
            : null;
        if (newest is not null)
        {
            return newest;
        }
        var onPath = ExecutableLocator.FindOnPath("postgres");
        return onPath is not null
            ? Path.GetDirectoryName(onPath)!
            : throw new InfraException("PostgreSQL is not installed (looked in /usr/lib/postgresql/*/bin and on PATH); install it, set LOCAL_PG_BIN, or use --no-infra");
    }
}
