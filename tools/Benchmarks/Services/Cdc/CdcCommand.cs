using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Benchmarks.Cli;
using Benchmarks.Measurement;
using Benchmarks.Platform;
using Dapr.Testing;
using LocalSidecar.Hosting;
using Npgsql;
using NpgsqlTypes;

namespace Benchmarks.Services.Cdc;

/// <summary>
/// <c>cdc</c>: customer updates committed at a fixed rate, and the time until each one's <c>customer.updated.v1</c>
/// reaches a subscriber: PostgreSQL WAL → the customers app's relay (logical replication) → its sidecar → pubsub.redis →
/// the subscriber's sidecar → the subscriber app.
/// </summary>
public sealed class CdcCommand : ICommand
{
    private const string Password = "customers-bench";
    private const string PubSub = "pubsub";
    private const string Topic = "customers";
    private static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(30);

    public string Name => "cdc";

    public string Summary => "commit-to-subscriber latency of the customers service's change-data-capture relay, at a fixed rate";

    public string Usage => LoadFlags.Usage.Replace("[--rate 0 (ops/s per path; 0 = flat out)]", "[--rate 100 (commits/s)]", StringComparison.Ordinal) + " [--customers 1000]";

    public async Task<int> RunAsync(CommandLine arguments, CancellationToken cancellationToken)
    {
        var load = LoadFlags.Read(arguments, defaultConcurrency: 8, defaultRate: 100);
        var customers = arguments.Int("customers", 1_000, 1, 1_000_000);
        arguments.EnsureAllRead();
        if (load.Rate is null)
        {
            throw new UsageException("--rate must be above 0: CDC latency is measured at a fixed commit rate");
        }

        if (customers < load.Concurrency)
        {
            throw new UsageException($"--customers ({customers}) must be at least --concurrency ({load.Concurrency}): each worker updates its own customers");
        }

        return await OwnedResources.UseAsync(owned => RunAsync(owned, load, customers, cancellationToken)).ConfigureAwait(false);
    }

    private static async Task<int> RunAsync(OwnedResources owned, LoadSettings load, int customerCount, CancellationToken ct)
    {
        var progress = Console.Error;
        var loadBefore = MachineInfo.LoadAverage();
        progress.WriteLine("starting Redis and PostgreSQL (Dapr.Testing; wal_level=logical)…");
        var redis = owned.Add(await RedisServer.StartAsync(ct: ct).ConfigureAwait(false));
        var postgres = owned.Add(await PostgresServer.StartAsync(ct: ct).ConfigureAwait(false));
        var database = postgres.ConnectionStringFor("customers", "customers", Password, ConnectionPool.Deployed);
        var customersApp = owned.Add(await ServiceApp.StartAsync("customers", "Customers", [ServiceApp.PubSub(redis)], new Dictionary<string, string?>
        {
            ["ConnectionStrings__customers"] = database,
            ["ConnectionStrings__customers-admin"] = postgres.ConnectionString,
        }, progress, ct).ConfigureAwait(false));
        owned.OnFailurePrint(() => customersApp.Output);

        var arrivals = new CdcArrivals();
        var subscriber = await StartSubscriberAsync(owned, redis, arrivals, progress, ct).ConfigureAwait(false);
        owned.OnFailurePrint(() => $"--- sidecar {subscriber.Description} ---\n{subscriber.RecentOutput}");

        // The service's own role writes, as the API would; the relay reads the WAL, so whoever writes is published.
        var direct = owned.Add(NpgsqlDataSource.Create(database));
        var ids = await SeedAsync(direct, arrivals, customerCount, progress, ct).ConfigureAwait(false);

        // Customer i belongs to worker i mod workers: a worker's updates never wait on another's row lock.
        var mine = Enumerable.Range(0, load.Concurrency).Select(w => ids.Where((_, i) => i % load.Concurrency == w).ToArray()).ToArray();
        var sequence = 0L;
        var turns = new int[load.Concurrency];
        var latencies = new CdcLatencies(arrivals, DeliveryTimeout);
        // Set only between runs, while no worker runs; the runner's task start and join order it with the workers' reads.
        var recording = false;
        // The writer's path: the UPDATE's own latency. Its event is awaited in the background (open loop), so the commit
        // rate stays the offered one however slow the pipeline is, and a pipeline that cannot keep up shows as latency.
        var update = BenchmarkPath.Timed("UPDATE autocommit (the writer's call)", PathRole.Measured, async (worker, c) =>
        {
            var id = mine[worker][turns[worker]++ % mine[worker].Length];
            var seq = Interlocked.Increment(ref sequence);
            var arrived = arrivals.Expect(seq);
            try
            {
                await using var command = direct.CreateCommand("UPDATE customers SET name = $2, version = version + 1, updated_at = now() WHERE id = $1");
                command.Parameters.Add(new NpgsqlParameter { Value = id, NpgsqlDbType = NpgsqlDbType.Uuid });
                command.Parameters.Add(new NpgsqlParameter { Value = CdcArrivals.NameOf(seq), NpgsqlDbType = NpgsqlDbType.Text });
                // Autocommit: when the statement returns, the transaction has committed.
                if (await command.ExecuteNonQueryAsync(c).ConfigureAwait(false) != 1)
                {
                    throw new InvalidOperationException($"customer {id} was not updated");
                }
            }
            catch
            {
                arrivals.Forget(seq);
                throw;
            }

            latencies.Track(seq, arrived, Stopwatch.GetTimestamp(), recording);
        });

        var cpu = await ServiceRun.CpuSourcesAsync(postgres).ConfigureAwait(false);
        if (load.Warmup > TimeSpan.Zero)
        {
            progress.WriteLine($"[cdc] warm-up ({CommandLine.Format(load.Warmup)})");
            await ClosedLoopRunner.RunAsync(update, load.Concurrency, load.Warmup, [], ct, load.Rate).ConfigureAwait(false);
            await latencies.DrainAsync().ConfigureAwait(false);
        }

        // One continuous run, not rounds: the latencies are clocks on the same updates, with no other path to interleave.
        progress.WriteLine($"[cdc] measuring {CommandLine.Format(load.Duration)} at {load.Rate} commits/s over {load.Concurrency} workers");
        recording = true;
        var run = await ClosedLoopRunner.RunAsync(update, load.Concurrency, load.Duration, cpu, ct, load.Rate).ConfigureAwait(false);
        recording = false;
        var draining = Stopwatch.StartNew();
        await latencies.DrainAsync().ConfigureAwait(false);
        draining.Stop();

        // The same updates seen through the two arrival clocks: labels for the report, never run themselves.
        var fromWal = update with { Name = "commit (WAL committedAt) → subscriber" };
        var fromClient = update with { Name = "COMMIT returned (client clock) → subscriber" };
        var results = new[]
        {
            new ScenarioResult(new Scenario("cdc", "commit to subscriber", [fromWal, fromClient, update]),
            [
                new PathResult(fromWal, latencies.FromWalCommit, run.Elapsed, 1, run.Cpu),
                new PathResult(fromClient, latencies.FromClientCommit, run.Elapsed, 1, run.Cpu),
                new PathResult(update, run.Histogram, run.Elapsed, 1, run.Cpu),
            ]),
        };

        ServiceRun.Print("CDC benchmark: customer updates to a subscriber through the customers service's relay", loadBefore, load,
        [
            ("service", "services/Customers (Release) beside local-daprd: relay on logical replication (pgoutput), publishes to pubsub.redis topic customers"),
            ("subscriber", $"Kestrel app in this process beside its own local-daprd ({subscriber.Description}), subscribed to {Topic}"),
            ("servers", $"PostgreSQL on {postgres.Host}:{postgres.Port} (wal_level=logical, fsync=off, synchronous_commit on), redis-server"),
            ("workload", $"{customerCount.ToString(CultureInfo.InvariantCulture)} customers (seeded, their created events drained first); " +
                         "each update is one autocommit UPDATE of name and version as the service's role, committed open loop (the writer does not wait for its event)"),
        ], results,
        [
            "Two clocks on the same updates. committedAt is the commit time the relay reads from the WAL (PostgreSQL's clock,\n" +
            "taken before the commit record is flushed): arrival − committedAt is the whole pipeline, from where the service's\n" +
            "own customers.cdc.commit_to_publish metric starts; same machine, same clock. The client clock starts when the\n" +
            "UPDATE's autocommit returned to the writer (Stopwatch, same process as the subscriber): what a writer that then\n" +
            $"waits for its event sees. Events that were not benchmark updates (seeds, redeliveries): {arrivals.Others.ToString(CultureInfo.InvariantCulture)}.\n" +
            $"The last events arrived {draining.Elapsed.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture)} ms after the last commit. " +
            $"{latencies.BeforeWriterResumed.ToString(CultureInfo.InvariantCulture)} events reached the subscriber before their writer\n" +
            "resumed after its UPDATE (counted as 0 on the client clock). ops/s of the arrival rows is commits per second of the\n" +
            "run; the CPU columns cover the whole run, one set of numbers for all rows.",
            ServiceRun.AgainstTarget("CDC, WAL commit → subscriber", results[0].Paths[0], 50),
        ]);
        return 0;
    }

    private static async Task<IRunningSidecar> StartSubscriberAsync(OwnedResources owned, RedisServer redis, CdcArrivals arrivals, TextWriter progress, CancellationToken ct)
    {
        var appPort = FreePort.Next();
        progress.WriteLine($"starting the subscriber app on port {appPort} and its sidecar…");
        owned.Add(await CdcSubscriberApp.StartAsync(appPort, PubSub, Topic, arrivals, ct).ConfigureAwait(false));
        var resources = Directory.CreateTempSubdirectory("bench-cdc-subscriber-");
        owned.DeleteAtEnd(resources);
        var (file, yaml) = ServiceApp.PubSub(redis);
        await File.WriteAllTextAsync(Path.Combine(resources.FullName, file), yaml, ct).ConfigureAwait(false);
        var sidecar = owned.Add(await Sidecars.StartAsync(SidecarMode.Process, new SidecarOptions
        {
            AppId = "cdc-subscriber",
            AppPort = appPort,
            HttpPort = FreePort.Next(),
            GrpcPort = FreePort.Next(),
            ResourcesPaths = [resources.FullName],
            NameResolutionDirectory = Path.Combine(resources.FullName, ".names"),
            LogLevel = "warn",
        }, ct).ConfigureAwait(false));

        using var http = new HttpClient { BaseAddress = new Uri(sidecar.HttpEndpoint) };
        var deadline = Stopwatch.StartNew();
        while ((await http.GetFromJsonAsync<JsonElement>("/v1.0/metadata", ct).ConfigureAwait(false)) is var metadata
               && !(metadata.TryGetProperty("subscriptions", out var subscriptions) && subscriptions.GetArrayLength() > 0))
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new TimeoutException($"the subscriber's sidecar did not subscribe it to {PubSub}/{Topic} within 30 s:\n{sidecar.RecentOutput}");
            }

            await Task.Delay(50, ct).ConfigureAwait(false);
        }

        return sidecar;
    }

    /// <summary>Inserts the customers in one transaction and waits until all their created events reached the subscriber.</summary>
    private static async Task<IReadOnlyList<Guid>> SeedAsync(NpgsqlDataSource database, CdcArrivals arrivals, int count, TextWriter progress, CancellationToken ct)
    {
        progress.WriteLine($"seeding {count} customers…");
        var ids = Enumerable.Range(0, count).Select(_ => Guid.CreateVersion7()).ToArray();
        await using (var command = database.CreateCommand("""
            INSERT INTO customers (id, email, name)
            SELECT id, 'bench-' || ordinality || '@example.org', 'seed-' || ordinality
            FROM unnest($1::uuid[]) WITH ORDINALITY AS seed (id, ordinality)
            """))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = ids, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
            await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        // Otherwise the first measured updates would queue behind the backlog of created events in the relay.
        var waited = Stopwatch.StartNew();
        while (arrivals.Others < count)
        {
            if (waited.Elapsed > TimeSpan.FromSeconds(120))
            {
                throw new TimeoutException($"only {arrivals.Others} of the {count} seed customers' created events reached the subscriber within 120 s");
            }

            await Task.Delay(100, ct).ConfigureAwait(false);
        }

        progress.WriteLine($"the {count} created events arrived in {waited.Elapsed.TotalSeconds:0.0} s");
        return ids;
    }
}
