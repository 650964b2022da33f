using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Benchmarks.Measurement;

/// <summary>
/// A process (or process tree) whose CPU time is read before and after each run, so a report can say how many CPU
/// microseconds each operation cost in each process. Unlike latency this hardly depends on what else the machine is
/// doing, which makes it the better guide to where an overhead comes from on a shared, noisy machine.
/// </summary>
public sealed record CpuSource(string Name, Func<TimeSpan> Read)
{
    /// <summary>This process, with the resolution of getrusage.</summary>
    public static CpuSource Self(string name) => new(name, () =>
    {
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    });

    /// <summary>One process and all its threads (Linux /proc; clock-tick resolution, 10 ms on most kernels).</summary>
    public static CpuSource Process(string name, int pid) => new(name, () => ProcStat.Read(pid)?.Cpu
        ?? throw new InvalidOperationException($"process {pid} ({name}) is gone"));

    /// <summary>
    /// A process and its direct children, e.g. the PostgreSQL postmaster and its backends: the root's own CPU, what its
    /// exited children used (the kernel adds that to the root when it reaps them), and what live children use now —
    /// so a backend that exits between two reads moves from one term to another instead of vanishing.
    /// </summary>
    public static CpuSource ProcessTree(string name, int rootPid) => new(name, () =>
    {
        var root = ProcStat.Read(rootPid) ?? throw new InvalidOperationException($"process {rootPid} ({name}) is gone");
        var total = root.Cpu + root.ReapedChildrenCpu;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && pid != rootPid
                && ProcStat.Read(pid) is { ParentPid: var parent, Cpu: var cpu }
                && parent == rootPid)
            {
                total += cpu;
            }
        }

        return total;
    });

    /// <summary>
    /// The whole machine: busy time summed over all cores (the first line of /proc/stat, minus idle and iowait). On a
    /// shared machine it counts the neighbours too, which is the point: it says whether the cores were free.
    /// </summary>
    public static CpuSource Machine(string name) => new(name, ProcStat.MachineBusy);

    public static bool Supported => OperatingSystem.IsLinux() && Directory.Exists("/proc/self");
}

/// <summary>CPU time of every source over one run.</summary>
public sealed class CpuSnapshot
{
    private readonly IReadOnlyList<CpuSource> _sources;
    private readonly TimeSpan[] _start;

    private CpuSnapshot(IReadOnlyList<CpuSource> sources)
    {
        _sources = sources;
        _start = sources.Select(s => s.Read()).ToArray();
    }

    public static CpuSnapshot Take(IReadOnlyList<CpuSource> sources) => new(sources);

    public Dictionary<string, TimeSpan> Elapsed()
        => _sources.Select((s, i) => (s.Name, Used: s.Read() - _start[i])).ToDictionary(x => x.Name, x => x.Used);
}

internal static class ProcStat
{
    private static readonly long TicksPerSecond = ClockTicks();

    /// <summary>Fields of /proc/{pid}/stat, or null when the process is gone.</summary>
    public static (int ParentPid, TimeSpan Cpu, TimeSpan ReapedChildrenCpu)? Read(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            return null; // exited between listing and reading
        }

        // "pid (comm) state ppid … utime stime …": comm may hold spaces and parentheses, so count from the last ')'.
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        var parent = int.Parse(fields[1], CultureInfo.InvariantCulture);
        // utime, stime, cutime, cstime: fields 14-17 of proc(5), 11-14 here.
        long Field(int index) => long.Parse(fields[index], CultureInfo.InvariantCulture);
        return (parent, Seconds(Field(11) + Field(12)), Seconds(Field(13) + Field(14)));
    }

    public static TimeSpan MachineBusy()
    {
        // "cpu  user nice system idle iowait irq softirq steal guest guest_nice"; guest time is already in user.
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        long Field(int index) => long.Parse(fields[index], CultureInfo.InvariantCulture);
        return Seconds(Field(1) + Field(2) + Field(3) + Field(6) + Field(7) + Field(8));
    }

    private static TimeSpan Seconds(long ticks) => TimeSpan.FromSeconds((double)ticks / TicksPerSecond);

    private static long ClockTicks()
    {
        const int ScClkTck = 2; // Linux
        var ticks = SysConf(ScClkTck);
        return ticks > 0 ? ticks : throw new InvalidOperationException($"sysconf(_SC_CLK_TCK) answered {ticks}");
    }

    [DllImport("libc", EntryPoint = "sysconf", SetLastError = true)]
    private static extern long SysConf(int name);
}
