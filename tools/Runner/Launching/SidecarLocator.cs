using Runner.Processes;

namespace Runner.Launching;

/// <summary>How to start the sidecar: a program plus the arguments that come before daprd's flags.</summary>
public sealed record SidecarProgram(string FileName, IReadOnlyList<string> LeadingArguments, string Origin);

/// <summary>
/// Finds the local sidecar: LOCAL_DAPRD (a .dll or an executable) when set, otherwise the
/// LocalSidecar build output of the repository.
/// </summary>
public static class SidecarLocator
{
    public const string Variable = "LOCAL_DAPRD";

    public static SidecarProgram Locate(string repoRoot, string configuration, Func<string, string?> getEnvironmentVariable)
    {
        var configured = getEnvironmentVariable(Variable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            var path = Path.GetFullPath(configured);
            if (!File.Exists(path))
            {
                throw new RunnerException($"{Variable}='{configured}' does not exist (resolved to {path})");
            }
            return ForFile(path, $"{Variable}={configured}");
        }

        var built = Path.Combine(repoRoot, "tools", "LocalSidecar", "bin", configuration, "net10.0", "local-daprd.dll");
        return File.Exists(built)
            ? ForFile(built, built)
            : throw new RunnerException($"the local sidecar is not built: {built} is missing. Run without --no-build, or set {Variable} to a sidecar .dll or executable");
    }

    private static SidecarProgram ForFile(string path, string origin) =>
        path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)
            ? new SidecarProgram(DotnetHost.Path, [path], origin)
            : new SidecarProgram(path, [], origin);
}
