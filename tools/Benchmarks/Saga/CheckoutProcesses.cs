using System.Globalization;
using Benchmarks.Measurement;
using Dapr.Testing;

namespace Benchmarks.Saga;

/// <summary>
/// The processes of a saga run whose CPU the report shows: each app and each sidecar (the children this process
/// started through CheckoutApps, recognised by their command line), redis-server, PostgreSQL's postmaster with its
/// backends, this process, and the machine as a whole.
/// </summary>
public static class CheckoutProcesses
{
    public static async Task<IReadOnlyList<CpuSource>> DiscoverAsync(PostgresServer postgres)
    {
        if (!CpuSource.Supported)
        {
            return [];
        }

        var self = Environment.ProcessId;
        var apps = new List<CpuSource>();
        var sidecars = new List<CpuSource>();
        CpuSource? redis = null;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                || ProcStat.Read(pid) is not { ParentPid: var parent } || parent != self
                || CommandLineOf(pid) is not { Length: > 0 } argv)
            {
                continue;
            }

            if (Array.FindIndex(argv, a => a.EndsWith("local-daprd.dll", StringComparison.Ordinal)) >= 0)
            {
                var appId = Array.IndexOf(argv, "--app-id") is var i and >= 0 && i + 1 < argv.Length ? argv[i + 1] : $"pid {pid}";
                sidecars.Add(CpuSource.Process($"sidecar {appId}", pid));
            }
            else if (argv.FirstOrDefault(a => a.EndsWith(".dll", StringComparison.Ordinal)) is { } dll)
            {
                apps.Add(CpuSource.Process($"app {Path.GetFileNameWithoutExtension(dll)}", pid));
            }
            else if (Path.GetFileName(argv[0]).StartsWith("redis-server", StringComparison.Ordinal))
            {
                redis = CpuSource.Process("redis-server", pid);
            }
        }

        // postmaster.pid's first line is the postmaster, whichever wrapper (setpriv, runuser) started it.
        var postmaster = (await File.ReadAllLinesAsync(Path.Combine(postgres.DataDirectory, "postmaster.pid")).ConfigureAwait(false))[0];
        List<CpuSource> sources = [.. apps.OrderBy(s => s.Name, StringComparer.Ordinal), .. sidecars.OrderBy(s => s.Name, StringComparer.Ordinal)];
        sources.Add(CpuSource.ProcessTree("postgres (all backends)", int.Parse(postmaster, CultureInfo.InvariantCulture)));
        if (redis is not null)
        {
            sources.Add(redis);
        }

        sources.Add(CpuSource.Self(SelfSource));
        sources.Add(CpuSource.Machine(MachineSource));
        return sources;
    }

    public const string MachineSource = "machine, all processes";
    private const string SelfSource = "benchmark (load generator)";

    /// <summary>The apps, sidecars and stores among <paramref name="sources"/>: neither the load generator nor the machine.</summary>
    public static IReadOnlyList<CpuSource> SystemUnderTest(IReadOnlyList<CpuSource> sources)
        => [.. sources.Where(s => s.Name is not MachineSource and not SelfSource)];

    private static string[]? CommandLineOf(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            return null; // exited between listing and reading
        }
    }
}
