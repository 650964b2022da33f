namespace Benchmarks.Cli;

/// <summary>One subcommand of the benchmark program (<c>platform</c>, and later search, recommendations, CDC, sagas…).</summary>
public interface ICommand
{
    string Name { get; }

    /// <summary>One line for the usage text.</summary>
    string Summary { get; }

    /// <summary>The flags this command reads, for the usage text.</summary>
    string Usage { get; }

    /// <summary>Reads its flags (throwing <see cref="UsageException"/>), runs, and returns the exit code.</summary>
    Task<int> RunAsync(CommandLine arguments, CancellationToken cancellationToken);
}
