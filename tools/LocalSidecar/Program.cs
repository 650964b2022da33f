using LocalSidecar.Components;
using LocalSidecar.Hosting;

// local-daprd: takes daprd's flags, so the Dapr CLI's command lines and the project's runner start it like daprd.
SidecarOptions options;
try
{
    options = SidecarOptions.Parse(args, Environment.GetEnvironmentVariable);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"local-daprd: {e.Message}");
    return 2;
}

try
{
    await using var sidecar = await SidecarHost.StartAsync(options);
    await sidecar.WaitForShutdownAsync();
    return 0;
}
catch (ResourceException e)
{
    Console.Error.WriteLine($"local-daprd: cannot start: {e.Message}");
    return 1;
}
