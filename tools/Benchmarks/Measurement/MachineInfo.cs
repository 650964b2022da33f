using System.Runtime;
using System.Runtime.InteropServices;

namespace Benchmarks.Measurement;

/// <summary>What the numbers were measured on; printed above every report.</summary>
public static class MachineInfo
{
    public static IEnumerable<(string Name, string Value)> Describe()
    {
        yield return ("machine", $"{Environment.ProcessorCount} logical cores, {CpuModel() ?? RuntimeInformation.ProcessArchitecture.ToString()}");
        yield return ("os", RuntimeInformation.OSDescription);
        yield return (".net", $"{RuntimeInformation.FrameworkDescription} ({RuntimeInformation.RuntimeIdentifier}), " +
                             $"{(GCSettings.IsServerGC ? "server" : "workstation")} GC, {(IsOptimized() ? "Release" : "Debug build: numbers are not meaningful")}");
    }

    /// <summary>1, 5 and 15 minute load averages: a busy shared machine shows here.</summary>
    public static string? LoadAverage()
        => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : null;

    private static string? CpuModel()
    {
        if (!File.Exists("/proc/cpuinfo"))
        {
            return null;
        }

        return File.ReadLines("/proc/cpuinfo")
            .Where(l => l.StartsWith("model name", StringComparison.Ordinal))
            .Select(l => l[(l.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim())
            .FirstOrDefault();
    }

    private static bool IsOptimized()
        => typeof(MachineInfo).Assembly.GetCustomAttributes(typeof(System.Diagnostics.DebuggableAttribute), false)
            .OfType<System.Diagnostics.DebuggableAttribute>()
            .All(d => !d.IsJITOptimizerDisabled);
}
