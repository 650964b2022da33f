namespace Dapr.Testing.Apps;

/// <summary>
/// Finds what the solution build produced, so tests start the same binaries the runner starts. Test projects that
/// start a program reference its project with <c>ReferenceOutputAssembly="false"</c>, which makes the test build build it.
/// </summary>
public static class BuildOutput
{
    /// <summary>The folder holding Dapr.sln, found by walking up from the test assembly.</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>Debug or Release: the configuration the tests themselves were built in.</summary>
    public static string Configuration { get; } = FindConfiguration();

    /// <summary>The path of <c>{project folder}/bin/{Configuration}/net10.0/{assembly}.dll</c>.</summary>
    public static string Assembly(string projectFolder, string assemblyName)
    {
        var path = Path.Combine(RepositoryRoot, projectFolder, "bin", Configuration, "net10.0", assemblyName + ".dll");
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"{path} was not built; reference {projectFolder} from the test project (ReferenceOutputAssembly=false) or build Dapr.sln first", path);
    }

    public static string LocalDaprd => Assembly(Path.Combine("tools", "LocalSidecar"), "local-daprd");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Dapr.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Dapr.sln above {AppContext.BaseDirectory}");
    }

    private static string FindConfiguration()
    {
        // The test assembly lives in .../bin/{Configuration}/net10.0/.
        var framework = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        return framework.Parent?.Name ?? "Debug";
    }
}
