using Runner.Infrastructure;
using Runner.Launching;
using Runner.Output;
using Runner.Planning;
using Runner.Processes;
using Runner.RunFiles;

var console = RunnerConsole.ForCurrentTerminal();

RunnerOptions options;
try
{
    options = RunnerOptions.Parse(args);
}
catch (UsageException e)
{
    if (e.Problem is null)
    {
        Console.WriteLine(RunnerOptions.Usage);
        return 0;
    }
    console.Error(e.Problem);
    Console.Error.WriteLine(RunnerOptions.Usage);
    return 2;
}

try
{
    var runFile = RunFileLoader.Load(options.RunFile);
    var dapr = options.ForceLocal ? null : ExecutableLocator.FindOnPath("dapr");
    if (dapr is null)
    {
        return await new LocalRun(options, runFile, console, Environment.GetEnvironmentVariable).RunAsync();
    }

    // Validate paths and ports the same way before handing over, so both paths reject the same files.
    new RunPlanner(new LoopbackPortAllocator()).Plan(runFile);
    if (!options.NoBuild)
    {
        var solution = SolutionBuilder.Find(runFile.Directory);
        console.Info($"Building {solution}");
        var build = await SolutionBuilder.BuildAsync(solution, options.Configuration, CancellationToken.None);
        if (!build.Succeeded)
        {
            build.Output.ToList().ForEach(console.Line);
            console.Error($"The build failed (exit code {build.ExitCode}); nothing was started");
            return build.ExitCode;
        }
    }
    console.Info($"Handing over to {dapr} run -f {options.RunFile} (use --local for the local sidecar)");
    return await DaprCliHandOff.RunAsync(dapr, runFile.FullPath);
}
catch (RunFileException e)
{
    console.Error(e.Message);
    return 2;
}
catch (Exception e) when (e is RunnerException or InfraException or ProcessStartException)
{
    console.Error(e.Message);
    return 1;
}
