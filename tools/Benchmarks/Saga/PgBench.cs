using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Dapr.Testing;

namespace Benchmarks.Saga;

/// <summary>What pgbench measured: its committed transactions per second, and the command that did it.</summary>
public sealed record PgBenchResult(double TransactionsPerSecond, string Command, int Scale);

/// <summary>
/// PostgreSQL's own commit rate on the same server, with the tool PostgreSQL ships for it: <c>pgbench -i</c> into its
/// own database, then a timed run. It is the yardstick for "how much of the database does a saga use".
/// </summary>
public static partial class PgBench
{
    public static async Task<PgBenchResult> RunAsync(
        PostgresServer postgres, int scale, int clients, TimeSpan duration, TextWriter progress, CancellationToken ct)
    {
        var pgbench = await LocateAsync(ct).ConfigureAwait(false);
        const string database = "pgbench";
        await postgres.CreateDatabaseAsync(database, ct: ct).ConfigureAwait(false);
        string[] connection = ["-h", postgres.Host, "-p", postgres.Port.ToString(CultureInfo.InvariantCulture), "-U", PostgresServer.Superuser];

        progress.WriteLine($"pgbench: initialising scale {scale} ({scale * 100_000} accounts)…");
        await RunToEndAsync(pgbench, ["-i", "-q", "-s", Text(scale), .. connection, database], TimeSpan.FromMinutes(10), ct).ConfigureAwait(false);

        // -N: the TPC-B-like script without the updates of the 10 × scale tellers and scale branches rows, which would
        // make a few rows the bottleneck; one commit per transaction, like a service's write. Threads: one per core.
        string[] run = ["-c", Text(clients), "-j", Text(Math.Min(clients, Environment.ProcessorCount)), "-T", Text((int)Math.Ceiling(duration.TotalSeconds)), "-N"];
        var command = $"pgbench {string.Join(' ', run)} {database}";
        progress.WriteLine($"pgbench: {command}…");
        var output = await RunToEndAsync(pgbench, [.. run, .. connection, database], duration + TimeSpan.FromMinutes(2), ct).ConfigureAwait(false);
        return new PgBenchResult(ParseTps(output), command, scale);
    }

    /// <summary>
    /// The <c>tps = …</c> line: since PostgreSQL 14 there is one (without initial connection time); older versions
    /// print two, including and excluding connection set-up, and the second is the comparable one.
    /// </summary>
    public static double ParseTps(string output)
    {
        var matches = TpsLine().Matches(output);
        return matches.Count > 0
            ? double.Parse(matches[^1].Groups[1].Value, CultureInfo.InvariantCulture)
            : throw new FormatException($"pgbench printed no 'tps = …' line:\n{output}");
    }

    /// <summary>pgbench beside the server binaries, found as Dapr.Testing finds initdb: pg_config, then /usr/lib/postgresql/*/bin, then PATH.</summary>
    private static async Task<string> LocateAsync(CancellationToken ct)
    {
        var candidates = new List<string>();
        if (FindOnPath("pg_config") is { } pgConfig)
        {
            var bin = (await RunToEndAsync(pgConfig, ["--bindir"], TimeSpan.FromSeconds(30), ct).ConfigureAwait(false)).Trim();
            candidates.Add(Path.Combine(bin, "pgbench"));
        }

        const string debianRoot = "/usr/lib/postgresql";
        if (Directory.Exists(debianRoot))
        {
            candidates.AddRange(Directory.EnumerateDirectories(debianRoot)
                .Select(dir => (Dir: dir, Major: int.TryParse(Path.GetFileName(dir), out var major) ? major : -1))
                .Where(d => d.Major >= 0)
                .OrderByDescending(d => d.Major)
                .Select(d => Path.Combine(d.Dir, "bin", "pgbench")));
        }

        if (FindOnPath("pgbench") is { } onPath)
        {
            candidates.Add(onPath);
        }

        return candidates.FirstOrDefault(File.Exists)
               ?? throw new InvalidOperationException(
                   $"pgbench was not found (looked at {string.Join(", ", candidates.DefaultIfEmpty("pg_config, /usr/lib/postgresql/*/bin, PATH"))}); " +
                   "it comes with the postgresql package (Debian: postgresql-client), or pass --pgbench-duration 0 to skip it");
    }

    private static string? FindOnPath(string program)
        => (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program))
            .FirstOrDefault(File.Exists);

    private static async Task<string> RunToEndAsync(string file, IReadOnlyList<string> args, TimeSpan timeout, CancellationToken ct)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // Its messages are parsed; keep them untranslated.
        start.Environment["LC_ALL"] = "C";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        var output = new StringBuilder();
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw ct.IsCancellationRequested
                ? new OperationCanceledException(ct)
                : new TimeoutException($"`{file} {string.Join(' ', args)}` did not finish within {timeout}");
        }

        output.Append(await stdout.ConfigureAwait(false)).Append(await stderr.ConfigureAwait(false));
        return process.ExitCode == 0
            ? output.ToString()
            : throw new InvalidOperationException($"`{file} {string.Join(' ', args)}` failed with exit code {process.ExitCode}:\n{output}");
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^tps = ([0-9]+(?:\.[0-9]+)?)", RegexOptions.Multiline)]
    private static partial Regex TpsLine();
}
