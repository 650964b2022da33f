using Runner.Planning;
using Runner.Processes;

namespace Runner.Launching;

/// <summary>An app's plan with the sidecar and (when it has a command) the app process started for it.</summary>
public sealed record StartedApp(AppLaunchPlan Plan, ChildProcess Sidecar, ChildProcess? App);
