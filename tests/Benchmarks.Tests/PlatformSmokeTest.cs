using System.Diagnostics;
using Dapr.Testing.Apps;

namespace Benchmarks.Tests;

/// <summary>
/// Runs the real program end to end, very briefly, so the benchmark cannot rot unnoticed: throwaway Redis and
/// PostgreSQL, the sidecar as a child process, every scenario. It checks that a report comes out, never the numbers.
/// </summary>
public class PlatformSmokeTest
{
    [Fact]
    public async Task the_platform_command_runs_every_scenario_and_prints_the_report()
    {
        var program = BuildOutput.Assembly(Path.Combine("tools", "Benchmarks"), "benchmarks");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { program, "platform", "--duration", "200ms", "--round", "100ms", "--warmup", "0s", "--concurrency", "2" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"the benchmark did not finish within 5 minutes:\n{await stderr}");
        }

        var output = await stdout;
        Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}\n{output}\n{await stderr}");
        foreach (var scenario in new[] { "state-get-redis", "state-get-pg", "state-save-redis", "state-save-pg", "publish-redis" })
        {
            Assert.Contains(scenario, output);
        }

        Assert.Contains("sidecar gRPC (SDK GetStateAsync)", output);
        Assert.Contains("Overhead over the baseline", output);
        Assert.Contains("CPU time per operation", output);
    }
}
