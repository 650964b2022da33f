namespace Runner.Processes;

/// <summary>Finds programs the way a shell would, so a missing one is reported by name before anything starts.</summary>
public static class ExecutableLocator
{
    public static string? FindOnPath(string name, string? path = null)
    {
        path ??= Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var dir in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (IsExecutableFile(candidate))
            {
                return candidate;
            }
            if (OperatingSystem.IsWindows() && IsExecutableFile(candidate + ".exe"))
            {
                return candidate + ".exe";
            }
        }
        return null;
    }

    /// <summary>A program named with a folder must exist as given; a bare name must be on PATH.</summary>
    public static string? Resolve(string program) =>
        program.Contains('/') || Path.IsPathRooted(program)
            ? IsExecutableFile(program) ? Path.GetFullPath(program) : null
            : FindOnPath(program);

    private static bool IsExecutableFile(string path)
    {
        if (!File.Exists(path))
        {
            return false;
        }
        if (OperatingSystem.IsWindows())
        {
            return true;
        }
        const UnixFileMode anyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        return (File.GetUnixFileMode(path) & anyExecute) != 0;
    }
}
