using Runner.RunFiles;

namespace Runner.Launching;

/// <summary>
/// Run-file keys that are valid but have no effect on a local run. They are named once at start-up
/// rather than dropped silently.
/// </summary>
public static class LocalModeNotes
{
    public static IReadOnlyList<string> For(RunFile file)
    {
        var notes = new List<string>();
        if (file.Common.RuntimePath is not null)
        {
            notes.Add($"{file.DisplayPath}: common: runtimePath is ignored: the local sidecar is used instead of an installed daprd");
        }
        foreach (var app in file.Apps)
        {
            if (app.Shared.RuntimePath is not null)
            {
                notes.Add($"{file.DisplayPath}: {app.Label}: runtimePath is ignored: the local sidecar is used instead of an installed daprd");
            }
            var kubernetesOnly = new[]
            {
                app.ContainerImage is null ? null : "containerImage",
                app.ContainerImagePullPolicy is null ? null : "containerImagePullPolicy",
                app.CreateService is null ? null : "createService",
            }.OfType<string>().ToList();
            if (kubernetesOnly.Count > 0)
            {
                notes.Add($"{file.DisplayPath}: {app.Label}: {string.Join(", ", kubernetesOnly)} only apply to Kubernetes runs and are ignored here");
            }
        }
        return notes;
    }
}
