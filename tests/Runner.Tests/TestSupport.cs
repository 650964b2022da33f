using System.Reflection;
using System.Runtime.InteropServices;
using Runner.Planning;
using Runner.RunFiles;

namespace Runner.Tests;

/// <summary>A throwaway folder standing in for a repository with a run file in it.</summary>
public sealed class TempRepo : IDisposable
{
    public TempRepo()
    {
        Root = Path.Combine(Path.GetTempPath(), "runner-tests-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public string RunFilePath => Path.Combine(Root, "dapr.yaml");

    public string Dir(string relative) => Directory.CreateDirectory(Path.Combine(Root, relative)).FullName;

    public string File(string relative, string content = "")
    {
        var path = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        System.IO.File.WriteAllText(path, content);
        return path;
    }

    public RunFile Load(string yaml)
    {
        System.IO.File.WriteAllText(RunFilePath, yaml);
        return RunFileLoader.Parse(yaml, "dapr.yaml", RunFilePath);
    }

    public IReadOnlyList<AppLaunchPlan> Plan(string yaml, IPortAllocator? ports = null) =>
        new RunPlanner(ports ?? new SequentialPorts()).Plan(Load(yaml));

    public void Dispose() => Directory.Delete(Root, recursive: true);
}

/// <summary>Hands out 41000, 41001, … so plans are predictable; ports listed as busy are reported as taken.</summary>
public sealed class SequentialPorts(params int[] busy) : IPortAllocator
{
    private int _next = 41000;

    public int AllocateFree() => _next++;

    public bool IsFree(int port) => !busy.Contains(port);
}

public static class BuiltPrograms
{
    public static string Path(string name) =>
        typeof(BuiltPrograms).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == name).Value
        ?? throw new InvalidOperationException($"no build path recorded for {name}");

    public static string Dotnet =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && System.IO.File.Exists(host) ? host : "dotnet";
}

public static class Signals
{
    public const int SigInt = 2;

    [DllImport("libc", SetLastError = true)]
    public static extern int kill(int pid, int sig);

    public static bool IsAlive(int pid) => kill(pid, 0) == 0 && !IsZombie(pid);

    private static bool IsZombie(int pid)
    {
        var stat = $"/proc/{pid}/stat";
        return System.IO.File.Exists(stat) && System.IO.File.ReadAllText(stat).Split(' ')[2] == "Z";
    }
}
