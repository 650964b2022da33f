namespace LocalSidecar.Components;

/// <summary>A resource file that cannot be loaded. The message always names the file, so start-up errors point at what to fix.</summary>
public sealed class ResourceException(string file, string problem, Exception? inner = null)
    : Exception($"{file}: {problem}", inner)
{
    public string File { get; } = file;
    public string Problem { get; } = problem;
}
