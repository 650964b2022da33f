using Runner.Infrastructure;
using Runner.Output;
using Runner.Planning;
using Runner.Processes;
using Runner.RunFiles;

namespace Runner.Launching;

/// <summary>
/// The local path: build, infrastructure, a local sidecar plus the app for each entry, health
/// checks, then wait for Ctrl-C (or for everything to have ended) and stop in order: apps,
/// sidecars, then the servers this run started.
/// </summary>
public sealed class LocalRun(RunnerOptions options, RunFile runFile, RunnerConsole console, Func<string, string?> getEnvironmentVariable)
{
    private static readonly TimeSpan ProcessGrace = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan InfraGrace = TimeSpan.FromSeconds(15);

    private string RepoRoot => runFile.Directory;

    public async Task<int> RunAsync()
    {
        using var shutdown = new ShutdownSignal((signal, count) =>
            console.Warn(count == 1
                ? $"{signal} received: stopping (send it again to stop without waiting)"
                : $"{signal} received again: stopping without waiting"));

        try
        {
            if (!options.NoBuild && await BuildAsync(shutdown.Requested) is var buildExitCode and not 0)
            {
                return buildExitCode;
            }
        }
        catch (OperationCanceledException) when (shutdown.Requested.IsCancellationRequested)
        {
            console.Warn("Interrupted during the build");
            return 130;
        }

        foreach (var note in LocalModeNotes.For(runFile))
        {
            console.Info(note);
        }
        var plans = new RunPlanner(new LoopbackPortAllocator()).Plan(runFile);
        var sidecar = SidecarLocator.Locate(RepoRoot, options.BuildConfiguration, getEnvironmentVariable);
        console.Info($"Sidecar: {sidecar.Origin}");

        var prefixer = new LogPrefixer(console.UseColor);
        var infra = new LocalInfrastructure(
            InfraSettings.For(RepoRoot, getEnvironmentVariable),
            getEnvironmentVariable,
            (server, line) => console.Line(prefixer.Format(OutputSource.Infra, server, line)),
            console.Info);
        var supervisor = new ProcessSupervisor(console);
        try
        {
            if (!options.NoInfra)
            {
                await infra.StartAsync(shutdown.Requested);
                await StateStoreDatabases.EnsureAsync(plans.SelectMany(p => p.ResourcesPaths), InfraSettings.For(RepoRoot, getEnvironmentVariable), console.Info, shutdown.Requested);
            }
            return await RunAppsAsync(plans, sidecar, prefixer, supervisor, shutdown);
        }
        catch (OperationCanceledException) when (shutdown.Requested.IsCancellationRequested)
        {
            console.Warn("Interrupted during start-up");
            return 130;
        }
        finally
        {
            await supervisor.StopAllAsync(ProcessGrace, shutdown.Forced);
            await infra.StopAsync(InfraGrace, shutdown.Forced);
            console.Info("Everything this run started has stopped");
        }
    }

    private async Task<int> BuildAsync(CancellationToken cancel)
    {
        var solution = SolutionBuilder.Find(RepoRoot);
        console.Info($"Building {solution}");
        var result = await SolutionBuilder.BuildAsync(solution, options.Configuration, cancel);
        if (!result.Succeeded)
        {
            result.Output.ToList().ForEach(console.Line);
            console.Error($"The build failed (exit code {result.ExitCode}); nothing was started");
        }
        return result.ExitCode;
    }

    private async Task<int> RunAppsAsync(
        IReadOnlyList<AppLaunchPlan> plans, SidecarProgram sidecar, LogPrefixer prefixer,
        ProcessSupervisor supervisor, ShutdownSignal shutdown)
    {
        using var http = new HttpClient(new SocketsHttpHandler
        {
            // Health probes of an https app must not fail on its development certificate.
            SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
        });
        var health = new HealthWaiter(http, HealthWaiter.DefaultTimeout);
        var startedAt = DateTime.Now;

        var started = await Task.WhenAll(plans.Select(plan =>
            StartAppAsync(plan, sidecar, prefixer, supervisor, health, startedAt, shutdown.Requested)));
        supervisor.MarkAllStarted();

        console.Info($"Waiting up to {HealthWaiter.DefaultTimeout.TotalSeconds:0} s for {plans.Count} app(s) to become healthy");
        var problems = await health.WaitForAllAsync(started, shutdown.Requested);
        if (problems.Count > 0)
        {
            foreach (var problem in problems)
            {
                console.Error(problem);
            }
            console.Error("Not everything came up; stopping");
            return 1;
        }

        console.Line("");
        console.Line(UrlTable.Render(plans));
        console.Line("");
        console.Success("You're up and running! Press Ctrl-C to stop everything.");

        var signalled = Task.Delay(Timeout.Infinite, shutdown.Requested).ContinueWith(_ => { }, TaskScheduler.Default);
        if (await Task.WhenAny(supervisor.AllExited, signalled) == supervisor.AllExited)
        {
            console.Warn("Every app and sidecar has exited; stopping");
            return supervisor.AllEndedCleanly ? 0 : 1;
        }
        return 0;
    }

    private async Task<StartedApp> StartAppAsync(
        AppLaunchPlan plan, SidecarProgram sidecar, LogPrefixer prefixer, ProcessSupervisor supervisor,
        HealthWaiter health, DateTime startedAt, CancellationToken cancel)
    {
        var daprRoute = ProcessOutputRoute.Create(console, prefixer, OutputSource.Dapr, plan.AppId, plan.DaprdLogDestination, plan.LogsDirectory, startedAt);
        var daprd = supervisor.Start(OutputSource.Dapr, plan.AppId,
            new ProcessSpec($"sidecar of '{plan.AppId}'", sidecar.FileName, [.. sidecar.LeadingArguments, .. SidecarArguments.For(plan)], plan.AppDirPath),
            daprRoute);
        console.Info($"Started the sidecar of '{plan.AppId}': HTTP {plan.DaprHttpPort}, gRPC {plan.DaprGrpcPort}{LogFileNote(daprRoute)}");

        if (!plan.HasCommand)
        {
            console.Warn($"'{plan.AppId}' has no command: only its sidecar runs");
            return new StartedApp(plan, daprd.Child, null);
        }

        if (plan.AppPort is null)
        {
            // daprd waits for an app port, but an app without one may call its sidecar at once: like the CLI, let the sidecar come up first.
            var problem = await health.SidecarProblemAsync(plan, daprd.Child, cancel);
            if (problem is not null)
            {
                console.Warn($"{problem}; starting the app anyway");
            }
        }

        var appRoute = ProcessOutputRoute.Create(console, prefixer, OutputSource.App, plan.AppId, plan.AppLogDestination, plan.LogsDirectory, startedAt);
        var app = supervisor.Start(OutputSource.App, plan.AppId,
            new ProcessSpec($"app '{plan.AppId}'", plan.Command[0], [.. plan.Command.Skip(1)], plan.AppDirPath, AppEnvironment.Additions(plan)),
            appRoute);
        console.Info($"Started app '{plan.AppId}': {string.Join(' ', plan.Command)}{LogFileNote(appRoute)}");
        return new StartedApp(plan, daprd.Child, app.Child);
    }

    private static string LogFileNote(ProcessOutputRoute route) => route.FilePath is null ? "" : $" (log: {route.FilePath})";
}
