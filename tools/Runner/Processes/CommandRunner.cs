namespace Runner.Processes;

public sealed record CommandResult(int ExitCode, IReadOnlyList<string> Output)
{
    public bool Succeeded => ExitCode == 0;
}

/// <summary>Runs a short command to its end and keeps its output, for steps like a build or initdb.</summary>
public static class CommandRunner
{
    public static async Task<CommandResult> RunAsync(ProcessSpec spec, CancellationToken cancel)
    {
        var output = new List<string>();
        var child = ChildProcess.Start(spec, line =>
        {
            lock (output)
            {
                output.Add(line);
            }
        });
        // Ctrl-C during a build or initdb must not leave it running behind us.
        await using (cancel.Register(child.Kill))
        {
            var code = await child.Exited;
            cancel.ThrowIfCancellationRequested();
            lock (output)
            {
                return new CommandResult(code, [.. output]);
            }
        }
    }
}
