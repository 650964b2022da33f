using Runner.Processes;

namespace Runner.Launching;

/// <summary>Builds the solution once before anything starts, so every app and the sidecar run current code.</summary>
public static class SolutionBuilder
{
    /// <summary>The solution next to the run file: Dapr.sln when present, otherwise the only .sln/.slnx there.</summary>
    public static string Find(string repoRoot)
    {
        var preferred = Path.Combine(repoRoot, "Dapr.sln");
        if (File.Exists(preferred))
        {
            return preferred;
        }
        var candidates = Directory.GetFiles(repoRoot, "*.sln").Concat(Directory.GetFiles(repoRoot, "*.slnx")).ToList();
        return candidates.Count switch
        {
            1 => candidates[0],
            0 => throw new RunnerException($"no solution file next to the run file in {repoRoot}; add one or pass --no-build"),
            _ => throw new RunnerException($"several solution files in {repoRoot} ({string.Join(", ", candidates.Select(Path.GetFileName))}); pass --no-build and build the one you want yourself"),
        };
    }

    public static ProcessSpec Command(string solution, string? configuration)
    {
        List<string> args = ["build", solution, "-nologo", "-v", "q"];
        if (configuration is not null)
        {
            args.AddRange(["-c", configuration]);
        }
        return new ProcessSpec("dotnet build", DotnetHost.Path, args, Path.GetDirectoryName(solution));
    }

    /// <summary>The build's exit code and output; the output is only worth showing when it failed.</summary>
    public static async Task<CommandResult> BuildAsync(string solution, string? configuration, CancellationToken cancel) =>
        await CommandRunner.RunAsync(Command(solution, configuration), cancel);
}
