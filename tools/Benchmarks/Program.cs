using Benchmarks.Cli;
using Benchmarks.Platform;
using Benchmarks.Saga;
using Benchmarks.Services.Cart;
using Benchmarks.Services.Cdc;
using Benchmarks.Services.Recommendations;
using Benchmarks.Services.Search;

// The benchmark program: `dotnet run -c Release --project tools/Benchmarks -- <command> [flags]`.
// Each benchmark is a subcommand; a new one implements ICommand and is listed here.
ICommand[] commands = [new PlatformCommand(), new CartCommand(), new SearchCommand(), new RecommendationsCommand(), new CdcCommand(), new SagaCommand()];

if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
{
    PrintUsage(Console.Out);
    return args.Length == 0 ? 2 : 0;
}

var command = commands.FirstOrDefault(c => c.Name == args[0]);
if (command is null)
{
    Console.Error.WriteLine($"benchmarks: unknown command '{args[0]}'");
    PrintUsage(Console.Error);
    return 2;
}

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // The first Ctrl+C stops the run cleanly (servers and the sidecar are shut down); a second one kills the process.
    if (!cancellation.IsCancellationRequested)
    {
        e.Cancel = true;
        Console.Error.WriteLine("benchmarks: stopping…");
        cancellation.Cancel();
    }
};

try
{
    return await command.RunAsync(CommandLine.Parse(args[1..]), cancellation.Token);
}
catch (UsageException e)
{
    Console.Error.WriteLine($"benchmarks {command.Name}: {e.Message}");
    Console.Error.WriteLine();
    Console.Error.WriteLine($"usage: benchmarks {command.Name} {command.Usage}");
    return 2;
}
catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
{
    Console.Error.WriteLine("benchmarks: cancelled");
    return 130;
}
catch (Exception e)
{
    // Any failed operation ends the run: a benchmark that skips errors measures something else.
    Console.Error.WriteLine($"benchmarks {command.Name}: failed: {e}");
    return 1;
}

void PrintUsage(TextWriter writer)
{
    writer.WriteLine("usage: dotnet run -c Release --project tools/Benchmarks -- <command> [flags]");
    writer.WriteLine();
    foreach (var c in commands)
    {
        writer.WriteLine($"  {c.Name,-10} {c.Summary}");
        writer.WriteLine($"  {"",-10} {c.Usage}");
    }
}
