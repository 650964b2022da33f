namespace Dapr.Testing.Internal;

/// <summary>Where initdb and postgres live on this machine.</summary>
internal sealed record PostgresBinaries(string BinDirectory)
{
    public string InitDb => Path.Combine(BinDirectory, "initdb");

    public string Postgres => Path.Combine(BinDirectory, "postgres");

    public static async Task<PostgresBinaries> LocateAsync(string? configured)
    {
        if (configured is not null)
        {
            return HasServer(configured)
                ? new PostgresBinaries(configured)
                : throw new InvalidOperationException(
                    $"PostgresServerOptions.BinDirectory is '{configured}', but it holds no initdb and postgres executables.");
        }

        var tried = new List<string>();

        // Debian puts the server binaries outside PATH (/usr/lib/postgresql/<major>/bin); pg_config knows where.
        var pgConfig = Unix.FindOnPath("pg_config");
        if (pgConfig is not null)
        {
            var (exitCode, output) = await ChildProcess
                .RunAsync(pgConfig, ["--bindir"], TimeSpan.FromSeconds(30), throwOnFailure: false)
                .ConfigureAwait(false);
            var dir = output.Trim();
            // pg_config can come from libpq-dev alone, with no server beside it; only trust it when one is there.
            if (exitCode == 0 && HasServer(dir))
            {
                return new PostgresBinaries(dir);
            }

            tried.Add($"`pg_config --bindir` ({(exitCode == 0 ? dir : $"exit code {exitCode}")})");
        }
        else
        {
            tried.Add("pg_config (not on PATH)");
        }

        const string debianRoot = "/usr/lib/postgresql";
        if (Directory.Exists(debianRoot))
        {
            var newest = Directory.EnumerateDirectories(debianRoot)
                .Select(dir => (Dir: Path.Combine(dir, "bin"), Major: int.TryParse(Path.GetFileName(dir), out var major) ? major : -1))
                .Where(candidate => candidate.Major >= 0 && HasServer(candidate.Dir))
                .OrderByDescending(candidate => candidate.Major)
                .Select(candidate => candidate.Dir)
                .FirstOrDefault();
            if (newest is not null)
            {
                return new PostgresBinaries(newest);
            }
        }

        tried.Add($"{debianRoot}/*/bin");

        var onPath = Unix.FindOnPath("initdb");
        if (onPath is not null && HasServer(Path.GetDirectoryName(onPath)!))
        {
            return new PostgresBinaries(Path.GetDirectoryName(onPath)!);
        }

        tried.Add("PATH");
        throw new InvalidOperationException(
            $"PostgreSQL server binaries (initdb, postgres) were not found; looked at {string.Join(", ", tried)}. " +
            "Install them with `apt-get install postgresql` (Debian/Ubuntu), or set PostgresServerOptions.BinDirectory.");
    }

    private static bool HasServer(string dir) =>
        Unix.IsExecutable(Path.Combine(dir, "initdb")) && Unix.IsExecutable(Path.Combine(dir, "postgres"));
}
