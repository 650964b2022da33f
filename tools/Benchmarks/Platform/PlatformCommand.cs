using System.Globalization;
using Benchmarks.Cli;
using Benchmarks.Measurement;
using Benchmarks.Scenarios;

namespace Benchmarks.Platform;

/// <summary>
/// <c>platform</c>: state get and save, and publish-to-delivery, through the local sidecar against the same operations
/// straight on Redis and PostgreSQL, side by side in one run.
/// </summary>
public sealed class PlatformCommand : ICommand
{
    private static readonly string[] AllScenarios = ["state-get-redis", "state-get-pg", "state-save-redis", "state-save-pg", "publish-redis"];

    public string Name => "platform";

    public string Summary => "the local sidecar against direct Redis/PostgreSQL: state get, state save, publish-to-delivery";

    public string Usage =>
        "[--duration 10s] [--concurrency 16] [--warmup 3s] [--payload 1024] [--round 1s] [--rate 0 (ops/s per path; 0 = flat out)] " +
        "[--sidecar process|inproc] " +
        $"[--scenarios {string.Join(',', AllScenarios)}]";

    public async Task<int> RunAsync(CommandLine arguments, CancellationToken cancellationToken)
    {
        var load = LoadFlags.Read(arguments, defaultConcurrency: 16);
        var payload = arguments.Int("payload", 1024, 32, 4 * 1024 * 1024);
        var mode = arguments.String("sidecar", "process") switch
        {
            "process" => SidecarMode.Process,
            "inproc" => SidecarMode.InProcess,
            var other => throw new UsageException($"--sidecar must be process or inproc, got '{other}'"),
        };
        var selected = arguments.String("scenarios", string.Join(',', AllScenarios)).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (selected.Except(AllScenarios).ToList() is { Count: > 0 } unknown)
        {
            throw new UsageException($"unknown scenario(s) {string.Join(", ", unknown)}; known: {string.Join(", ", AllScenarios)}");
        }

        arguments.EnsureAllRead();

        var progress = Console.Error;
        var loadBefore = MachineInfo.LoadAverage();
        var results = new List<ScenarioResult>();
        PlatformEnvironment? environment = null;
        Exception? failure = null;
        try
        {
            environment = await PlatformEnvironment.StartAsync(mode, progress, cancellationToken).ConfigureAwait(false);
            var cpu = await environment.CpuSourcesAsync().ConfigureAwait(false);
            var scenarios = new List<Scenario>();
            try
            {
                foreach (var id in selected.Distinct())
                {
                    scenarios.Add(await CreateAsync(id, environment, load, payload, cancellationToken).ConfigureAwait(false));
                }

                // Every path of every scenario is warmed up before anything is measured: the JIT of both processes
                // keeps promoting methods for seconds after a path first runs (longer on a busy machine), and would
                // otherwise charge that to whichever scenario comes first.
                foreach (var scenario in scenarios)
                {
                    await InterleavedComparison.WarmUpAsync(scenario, load, progress, cancellationToken).ConfigureAwait(false);
                }

                foreach (var scenario in scenarios)
                {
                    results.Add(await InterleavedComparison.MeasureAsync(scenario, load, cpu, progress, cancellationToken).ConfigureAwait(false));
                }
            }
            finally
            {
                foreach (var owned in scenarios.Select(s => s.Owned).OfType<IAsyncDisposable>())
                {
                    await owned.DisposeAsync().ConfigureAwait(false);
                }
            }

            PrintReport(environment, mode, load, payload, loadBefore, results);
        }
        catch (Exception e)
        {
            failure = e;
            throw;
        }
        finally
        {
            if (environment is not null)
            {
                if (environment.Sidecar is { RecentOutput.Length: > 0 } sidecar)
                {
                    progress.WriteLine($"--- what {sidecar.Description} logged (warnings and errors) ---");
                    progress.WriteLine(sidecar.RecentOutput);
                }

                try
                {
                    await environment.DisposeAsync().ConfigureAwait(false);
                }
                catch (Exception stopError) when (failure is not null)
                {
                    // Keep the failure that ended the run in view, not just the one from cleaning up after it.
                    throw new AggregateException("the benchmark failed, and stopping its environment failed too", failure, stopError);
                }
            }
        }

        return 0;
    }

    private static Task<Scenario> CreateAsync(string id, PlatformEnvironment env, LoadSettings load, int payload, CancellationToken ct) => id switch
    {
        "state-get-redis" => StateScenarios.RedisGetAsync(env, load.Concurrency, payload, ct),
        "state-get-pg" => StateScenarios.PostgresGetAsync(env, load.Concurrency, payload, ct),
        "state-save-redis" => StateScenarios.RedisSaveAsync(env, load.Concurrency, payload, ct),
        "state-save-pg" => StateScenarios.PostgresSaveAsync(env, load.Concurrency, payload, ct),
        "publish-redis" => PublishScenario.RedisAsync(env, payload, ct),
        _ => throw new ArgumentOutOfRangeException(nameof(id), id, "unknown scenario"),
    };

    private static void PrintReport(PlatformEnvironment env, SidecarMode mode, LoadSettings load, int payload, string? loadBefore, IReadOnlyList<ScenarioResult> results)
    {
        var output = Console.Out;
        var rounds = results.Count == 0 ? 0 : results[0].Paths[0].Rounds;
        var shape = LoadFlags.Describe(load);
        ReportPrinter.PrintHeader(output, $"Platform benchmark: local sidecar vs direct ({shape})",
        [
            ("load average", $"{loadBefore ?? "n/a"} before, {MachineInfo.LoadAverage() ?? "n/a"} after"),
            ("sidecar", mode == SidecarMode.Process ? $"child process ({env.Sidecar.Description})" : env.Sidecar.Description),
            ("servers", $"redis-server on {env.Redis.Endpoint} (no persistence); PostgreSQL on {env.Postgres.Host}:{env.Postgres.Port} (fsync=off); " +
                        $"PostgreSQL pool {env.PostgresPoolSize} connections on both paths"),
            ("parameters", $"{shape}, duration {CommandLine.Format(load.Duration)} per path in {rounds} interleaved round(s), " +
                           $"warm-up {CommandLine.Format(load.Warmup)} per path before any measuring, payload {payload.ToString(CultureInfo.InvariantCulture)} B JSON"),
        ]);
        ReportPrinter.PrintResults(output, results);

        if (load.Rate is { } target && results.SelectMany(r => r.Paths).Where(p => p.Throughput < 0.95 * target).ToList() is { Count: > 0 } behind)
        {
            output.WriteLine();
            output.WriteLine($"note: these paths did not keep up with {target.ToString("0", CultureInfo.InvariantCulture)} ops/s, so their latencies include queueing: " +
                             string.Join("; ", behind.Select(p => $"{p.Path.Name} ({p.Throughput.ToString("0", CultureInfo.InvariantCulture)} ops/s)")));
        }

        var unmatched = env.SidecarDeliveries.Unmatched;
        if (unmatched > 0)
        {
            output.WriteLine();
            output.WriteLine($"note: the subscriber app received {unmatched} deliveries nobody waited for (redeliveries or duplicates)");
        }

        output.WriteLine();
        output.WriteLine("Reference, daprd v1.17 (Dapr's published performance figures: Kubernetes, 1000 QPS, 16 connections):");
        output.WriteLine("  state get over gRPC  p50 0.57 ms, +0.12 ms over the direct call");
        output.WriteLine("  publish over gRPC    p50 0.60 ms, p99 1.87 ms");
        output.WriteLine(load.Rate is null
            ? "Those are fixed-rate numbers on larger machines; this run is a closed loop on this machine (--rate 1000 paces it like"
              + " them), so compare the overhead columns (+p50, ×) rather than absolute latencies. See tools/Benchmarks/README.md."
            : "Those were measured on larger machines; compare the overhead columns (+p50, ×) rather than absolute latencies."
              + " See tools/Benchmarks/README.md.");
    }
}
