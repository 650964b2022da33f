namespace Runner.Launching;

/// <summary>The runner's command line: <c>-f|--run-file FILE [--no-build] [--no-infra] [--local] [-c|--configuration NAME]</c>.</summary>
public sealed record RunnerOptions(string RunFile, bool NoBuild, bool NoInfra, bool ForceLocal, string? Configuration)
{
    public const string Usage =
        """
        usage: dapr-local-run -f|--run-file <dapr.yaml> [--no-build] [--no-infra] [--local] [-c|--configuration <name>]

          -f, --run-file       the Dapr multi-app run file to start
          --no-build           do not build the solution first
          --no-infra           do not start PostgreSQL/Redis (local mode only)
          --local              use the local sidecar even when the dapr CLI is on PATH
          -c, --configuration  build configuration to build and to take local-daprd from (default Debug)

        environment: LOCAL_DAPRD (sidecar .dll or executable), LOCAL_PG_PORT (5432), LOCAL_REDIS_PORT (6379), NO_COLOR
        """;

    public string BuildConfiguration => Configuration ?? "Debug";

    public static RunnerOptions Parse(IReadOnlyList<string> args)
    {
        string? runFile = null;
        string? configuration = null;
        bool noBuild = false, noInfra = false, local = false;
        for (var i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count && !args[i + 1].StartsWith('-')
                ? args[++i]
                : throw new UsageException($"{args[i]} needs a value");

            switch (args[i])
            {
                case "-f" or "--run-file":
                    runFile = Value();
                    break;
                case "-c" or "--configuration":
                    configuration = Value();
                    break;
                case "--no-build":
                    noBuild = true;
                    break;
                case "--no-infra":
                    noInfra = true;
                    break;
                case "--local":
                    local = true;
                    break;
                case "-h" or "--help":
                    throw new UsageException(null);
                default:
                    throw new UsageException($"unknown argument '{args[i]}'");
            }
        }
        return new RunnerOptions(runFile ?? throw new UsageException("the run file is required (-f dapr.yaml)"), noBuild, noInfra, local, configuration);
    }
}

/// <summary>The command line was wrong (or help was asked for, when the message is null).</summary>
public sealed class UsageException(string? problem) : Exception(problem ?? "help requested")
{
    public string? Problem { get; } = problem;
}
