using System.Diagnostics;
using System.Globalization;
using Benchmarks.Cli;
using Benchmarks.Measurement;
using Dapr.Testing;
using Dapr.Testing.Apps;

namespace Benchmarks.Saga;

/// <summary>
/// <c>saga</c>: checkouts at fixed arrival rates through the six checkout apps and their sidecars, measured from the
/// moment each checkout was due to the moment its order was Confirmed, beside pgbench on the same PostgreSQL server.
/// </summary>
public sealed class SagaCommand : ICommand
{
    private const string HotSku = "HOT-1";

    /// <summary>
    /// As deployed rather than as developed: Production (no per-request scope validation, no developer exception page)
    /// and warnings only, so a line logged per saga on a shared console is not what is measured.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string?> DeployedEnvironment = new Dictionary<string, string?>
    {
        ["DOTNET_ENVIRONMENT"] = "Production",
        ["Logging__LogLevel__Default"] = "Warning",
    };

    public string Name => "saga";

    public string Summary => "checkout → Confirmed through the six checkout apps at fixed arrival rates, with pgbench on the same PostgreSQL";

    public string Usage => SagaOptions.Usage;

    public async Task<int> RunAsync(CommandLine arguments, CancellationToken cancellationToken)
    {
        var options = SagaOptions.Parse(arguments);
        var progress = Console.Error;
        var loadBefore = MachineInfo.LoadAverage();
        RedisServer? redis = null;
        PostgresServer? postgres = null;
        CheckoutApps? apps = null;
        Exception? failure = null;
        try
        {
            progress.WriteLine("starting Redis and PostgreSQL (Dapr.Testing)…");
            var redisStart = RedisServer.StartAsync(ct: cancellationToken);
            var postgresStart = PostgresServer.StartAsync(
                options.Statements > 0 ? new PostgresServerOptions { Settings = ServiceDatabases.StatementSettings } : null, cancellationToken);
            try
            {
                await Task.WhenAll(redisStart, postgresStart).ConfigureAwait(false);
            }
            finally
            {
                // Keep whichever started, even when the other failed, so both are stopped below.
                redis = redisStart.IsCompletedSuccessfully ? redisStart.Result : null;
                postgres = postgresStart.IsCompletedSuccessfully ? postgresStart.Result : null;
            }

            // PostgreSQL alone first, before any app is started: its capacity on this machine with nothing else of ours running.
            PgBenchResult? pgbench = null;
            if (options.PgbenchDuration > TimeSpan.Zero)
            {
                pgbench = await PgBench.RunAsync(postgres!, options.PgbenchScale, options.PgbenchClients, options.PgbenchDuration, progress, cancellationToken)
                    .ConfigureAwait(false);
                progress.WriteLine($"pgbench: {pgbench.TransactionsPerSecond.ToString("0", CultureInfo.InvariantCulture)} tps");
            }

            progress.WriteLine("starting customers, cart, inventory, payments, orders and order-workflow, each with its sidecar…");
            apps = await CheckoutApps.StartAsync(postgres!, redis!, new SagaSettings
            {
                // Far above any order here: the saga never waits for a human approval, so what is measured is the machinery.
                ApprovalThreshold = 1_000_000_000m,
            }, faultInjection: false, environment: DeployedEnvironment, pool: ConnectionPool.Deployed).ConfigureAwait(false);

            var run = new SagaRun(options, apps, postgres!, progress);
            var result = await run.ExecuteAsync(cancellationToken).ConfigureAwait(false);
            SagaReport.Print(Console.Out, options, result with { PgBench = pgbench }, loadBefore);
            PrintLoggedProblems(apps, progress);
        }
        catch (Exception e)
        {
            failure = e;
            if (apps is not null)
            {
                progress.WriteLine("--- the last lines each app and sidecar wrote ---");
                progress.WriteLine(apps.Output);
            }

            throw;
        }
        finally
        {
            await StopAsync(apps, postgres, redis, failure).ConfigureAwait(false);
        }

        return 0;
    }

    /// <summary>Warnings and errors in the tails of the apps' and sidecars' logs: retries, conflicts, timeouts seen under load.</summary>
    private static void PrintLoggedProblems(CheckoutApps apps, TextWriter progress)
    {
        var lines = apps.Output.Split('\n');
        var problems = new List<string>();
        var header = "";
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].StartsWith("--- ", StringComparison.Ordinal))
            {
                header = lines[i];
                continue;
            }

            if (!IsProblem(lines[i]))
            {
                continue;
            }

            if (header.Length > 0)
            {
                problems.Add(header);
                header = "";
            }

            problems.Add(lines[i]);
            // The console logger puts the message, and any exception, on the indented lines below the level line.
            for (var j = i + 1; j < lines.Length && j <= i + 3 && lines[j].StartsWith(' '); j++)
            {
                problems.Add(lines[j]);
            }
        }

        if (problems.Count > 0)
        {
            progress.WriteLine("--- warnings and errors in the last lines the apps and sidecars logged ---");
            foreach (var line in problems)
            {
                progress.WriteLine(line);
            }
        }

        static bool IsProblem(string line)
            => line.Contains("warn:", StringComparison.Ordinal) || line.Contains("fail:", StringComparison.Ordinal) || line.Contains("crit:", StringComparison.Ordinal)
               || line.Contains("level=warn", StringComparison.Ordinal) || line.Contains("level=error", StringComparison.Ordinal);
    }

    private static async Task StopAsync(CheckoutApps? apps, PostgresServer? postgres, RedisServer? redis, Exception? failure)
    {
        var errors = new List<Exception>();
        foreach (var owned in new IAsyncDisposable?[] { apps, postgres, redis })
        {
            try
            {
                if (owned is not null)
                {
                    await owned.DisposeAsync().ConfigureAwait(false);
                }
            }
            catch (Exception e)
            {
                errors.Add(e);
            }
        }

        if (errors.Count > 0)
        {
            // Keep the failure that ended the run in view, not just the ones from cleaning up after it.
            throw new AggregateException(failure is null ? "stopping the saga benchmark's processes failed" : "the benchmark failed, and stopping its processes failed too",
                failure is null ? errors : [failure, .. errors]);
        }
    }

    /// <summary>One run against started apps: seed, warm up, measure the idle background, then each rate in turn.</summary>
    private sealed class SagaRun(SagaOptions options, CheckoutApps apps, PostgresServer postgres, TextWriter progress)
    {
        private static readonly TimeSpan DrainPoll = TimeSpan.FromMilliseconds(250);

        // pg_stat_database lags by up to a second for busy backends; waiting this long before the last reading of a
        // step lets it catch up with the step's own commits.
        private static readonly TimeSpan CounterSettle = TimeSpan.FromSeconds(1.5);
        private static readonly TimeSpan IdleWindow = TimeSpan.FromSeconds(10);

        private readonly ServiceDatabases _databases = new(postgres, apps.Databases);
        private readonly string _runTag = Guid.NewGuid().ToString("N")[..6];
        private IReadOnlyList<string> _customers = [];
        private IReadOnlyList<string> _skus = [];
        private double _idleCommitsPerSecond;
        private int _customerCursor;

        public async Task<SagaRunResult> ExecuteAsync(CancellationToken ct)
        {
            using var shop = new Storefront(apps);
            var durability = await _databases.DurabilityAsync(ct).ConfigureAwait(false);
            await SeedAsync(shop, ct).ConfigureAwait(false);
            var cpu = await CheckoutProcesses.DiscoverAsync(postgres).ConfigureAwait(false);

            if (options.Warmup > TimeSpan.Zero)
            {
                progress.WriteLine($"warm-up: {options.Rates[0]}/s for {CommandLine.Format(options.Warmup)} (not measured)…");
                var warmup = await SendAndDrainAsync(shop, "w", options.Rates[0], options.Warmup, ct).ConfigureAwait(false);
                progress.WriteLine($"warm-up: {warmup.Ended} of {warmup.Created} sagas ended");
            }

            progress.WriteLine("idle: waiting for the warm-up's tail to wind down…");
            var quiet = await new Quiescence(CheckoutProcesses.SystemUnderTest(cpu))
                .WaitAsync(ct).ConfigureAwait(false);
            progress.WriteLine(quiet.Settled
                ? $"idle: quiet after {quiet.WaitedSeconds}; measuring background commits and CPU for {CommandLine.Format(IdleWindow)}…"
                : $"idle: still busy after {quiet.WaitedSeconds} ({string.Join(", ", quiet.StillBusy)}); measuring anyway for {CommandLine.Format(IdleWindow)}…");
            var idleCpu = CpuSnapshot.Take(cpu);
            var idleCommits = await CountCommitsAsync(() => Task.Delay(IdleWindow, ct), ct).ConfigureAwait(false);
            var idleCpuUsed = idleCpu.Elapsed();
            _idleCommitsPerSecond = idleCommits.Commits / idleCommits.Window.TotalSeconds;

            var steps = new List<StepResult>();
            for (var i = 0; i < options.Rates.Count; i++)
            {
                steps.Add(await MeasureStepAsync(shop, i, options.Rates[i], cpu, ct).ConfigureAwait(false));
            }

            return new SagaRunResult(steps, durability, _idleCommitsPerSecond, idleCpuUsed, IdleWindow, quiet, _databases.Names, $"{postgres.Host}:{postgres.Port}");
        }

        private async Task SeedAsync(Storefront shop, CancellationToken ct)
        {
            var clock = Stopwatch.StartNew();
            // Every order of the run could land on the same SKU or customer only in the hot-SKU case; sizing stock and
            // funds for the whole run on every row keeps any refusal out of the measurement.
            var orders = options.Rates.Sum(rate => new ArrivalSchedule(rate, options.Duration).Count) + new ArrivalSchedule(options.Rates[0], options.Warmup > TimeSpan.Zero ? options.Warmup : TimeSpan.FromSeconds(1)).Count;
            var onHand = Math.Min(1_000_000_000, orders + 1000);
            var ordersPerCustomer = (orders / options.Customers) + 1;
            var funds = (ordersPerCustomer + 10) * (options.LinesPerOrder + 1) * Storefront.UnitPrice * 2;

            progress.WriteLine($"seeding {options.Skus} SKUs with {onHand} units each and {options.Customers} customers with {funds} {Storefront.Currency} each…");
            _skus = Enumerable.Range(0, options.Skus).Select(i => string.Create(CultureInfo.InvariantCulture, $"BENCH-{i:D6}")).ToList();
            await shop.SetStockAsync(options.HotSkuPercent > 0 ? [.. _skus, HotSku] : _skus, onHand, ct).ConfigureAwait(false);
            _customers = await shop.CreateCustomersAsync(options.Customers, funds, ct).ConfigureAwait(false);
            progress.WriteLine($"seeded in {clock.Elapsed.TotalSeconds:0.0} s");
        }

        private async Task<StepResult> MeasureStepAsync(Storefront shop, int index, int rate, IReadOnlyList<CpuSource> cpu, CancellationToken ct)
        {
            progress.WriteLine($"step {index + 1}/{options.Rates.Count}: {rate} checkouts/s for {CommandLine.Format(options.Duration)}…");
            var label = string.Create(CultureInfo.InvariantCulture, $"s{index + 1}");
            if (options.Statements > 0)
            {
                await _databases.ResetStatementsAsync(ct).ConfigureAwait(false);
            }

            var cpuBefore = CpuSnapshot.Take(cpu);
            var wall = Stopwatch.StartNew();
            Drained drained = null!;
            var commits = await CountCommitsAsync(async () =>
            {
                drained = await SendAndDrainAsync(shop, label, rate, options.Duration, ct).ConfigureAwait(false);
                wall.Stop();
                await Task.Delay(CounterSettle, ct).ConfigureAwait(false);
            }, ct).ConfigureAwait(false);
            var cpuUsed = cpuBefore.Elapsed();
            // The CPU window is the wall time up to the end of the drain; the settle pause adds a little idle CPU to it.
            var records = await _databases.ReadOrdersAsync(drained.Prefix, ct).ConfigureAwait(false);
            var statements = options.Statements > 0 ? await _databases.StatementsAsync(options.Statements, ct).ConfigureAwait(false) : null;
            var result = Summarise(rate, drained, records, commits, wall.Elapsed, cpuUsed) with { Statements = statements };
            progress.WriteLine($"step {index + 1}: {result.Confirmed} confirmed, {result.Cancelled} cancelled, {result.NotFinished} not finished, " +
                               $"{result.SagasPerSecond.ToString("0.0", CultureInfo.InvariantCulture)} sagas/s" +
                               (result.ToConfirmed.Count > 0 ? $", p99 {ReportPrinter.Ms(result.ToConfirmed.PercentileNanoseconds(99))} ms" : ""));
            return result;
        }

        private sealed record Drained(string Prefix, SentArrivals Sent, int Created, int Ended);

        /// <summary>Sends a step's arrivals, then waits until every order it created has ended or the drain timeout passes.</summary>
        private async Task<Drained> SendAndDrainAsync(Storefront shop, string label, int rate, TimeSpan duration, CancellationToken ct)
        {
            var prefix = $"b{_runTag}-{label}-";
            var sent = await OpenLoopDriver.RunAsync(
                new ArrivalSchedule(rate, duration),
                k => prefix + k.ToString("D6", CultureInfo.InvariantCulture),
                (arrival, token) => shop.CheckoutAsync(arrival.OrderId, NextCustomer(), Lines(), token),
                ct).ConfigureAwait(false);

            var accepted = sent.Answers.Count(a => a.Accepted);
            var deadline = Stopwatch.StartNew();
            while (true)
            {
                // A checkout whose answer was lost may still have created its order, so wait for every created one.
                var (created, ended) = await _databases.CountAsync(prefix, ct).ConfigureAwait(false);
                if ((created >= accepted && ended == created) || deadline.Elapsed > options.DrainTimeout)
                {
                    return new Drained(prefix, sent, created, ended);
                }

                await Task.Delay(DrainPoll, ct).ConfigureAwait(false);
            }
        }

        /// <summary>Commits in the service databases while <paramref name="work"/> runs, less our own statements and the idle background.</summary>
        private async Task<(long Commits, TimeSpan Window)> CountCommitsAsync(Func<Task> work, CancellationToken ct)
        {
            var before = await _databases.CommitsAsync(ct).ConfigureAwait(false);
            var ownBefore = _databases.OwnStatements;
            var window = Stopwatch.StartNew();
            await work().ConfigureAwait(false);
            var after = await _databases.CommitsAsync(ct).ConfigureAwait(false);
            window.Stop();
            var background = _idleCommitsPerSecond * window.Elapsed.TotalSeconds;
            return ((long)Math.Round(after - before - (_databases.OwnStatements - ownBefore) - background), window.Elapsed);
        }

        private StepResult Summarise(
            int rate, Drained drained, IReadOnlyDictionary<string, OrderRecord> records, (long Commits, TimeSpan Window) commits,
            TimeSpan wall, IReadOnlyDictionary<string, TimeSpan> cpu)
        {
            var toConfirmed = new LatencyHistogram();
            string[] stepNames = ["order committed", "relay took saga start", "stock reserved"];
            var steps = stepNames.Select(_ => new LatencyHistogram()).ToArray();
            // The saga proper, without the queue in front of it: what the workflow and its activities took per order.
            var relayToConfirmed = new LatencyHistogram();
            int confirmed = 0, cancelled = 0, attention = 0, notFinished = 0;
            DateTimeOffset? lastEnd = null;
            foreach (var arrival in drained.Sent.Arrivals)
            {
                if (!records.TryGetValue(arrival.OrderId, out var order))
                {
                    continue; // never created: counted with the failed checkouts
                }

                switch (order)
                {
                    case { Status: "Confirmed", EndedAt: { } at }:
                        confirmed++;
                        toConfirmed.Record(Nanoseconds(at - arrival.DueAt));
                        Record(steps[0], order.CreatedAt);
                        Record(steps[1], order.SagaStartSentAt);
                        Record(steps[2], order.ReservedAt);
                        if (order.SagaStartSentAt is { } taken)
                        {
                            relayToConfirmed.Record(Nanoseconds(at - taken));
                        }

                        break;
                    case { Status: "Cancelled" }:
                        cancelled++;
                        break;
                    case { NeedsAttention: true }:
                        attention++;
                        break;
                    default:
                        notFinished++;
                        break;
                }

                if (order.EndedAt is { } ended && (lastEnd is null || ended > lastEnd))
                {
                    lastEnd = ended;
                }

                void Record(LatencyHistogram histogram, DateTimeOffset? stamp)
                {
                    if (stamp is { } value)
                    {
                        histogram.Record(Nanoseconds(value - arrival.DueAt));
                    }
                }
            }

            var failures = drained.Sent.Answers
                .Where(a => !a.Accepted)
                .GroupBy(a => a.StatusCode is { } code ? code.ToString(CultureInfo.InvariantCulture) : "no answer")
                .Select(g => (g.Key, g.Count(), g.First().Error ?? ""))
                .ToList();
            var firstDue = drained.Sent.Arrivals[0].DueAt;
            return new StepResult
            {
                Rate = rate,
                Sent = drained.Sent,
                ToConfirmed = toConfirmed,
                RelayToConfirmed = relayToConfirmed,
                Steps = stepNames.Zip(steps).ToList(),
                Confirmed = confirmed,
                Cancelled = cancelled,
                NeedsAttention = attention,
                NotFinished = notFinished,
                CheckoutFailures = failures,
                SagasPerSecond = lastEnd is { } last && last > firstDue ? (confirmed + cancelled) / (last - firstDue).TotalSeconds : 0,
                Commits = commits.Commits,
                CommitWindow = commits.Window,
                Wall = wall,
                Cpu = cpu,
            };
        }

        private string NextCustomer() => _customers[(int)((uint)Interlocked.Increment(ref _customerCursor) % (uint)_customers.Count)];

        private List<OrderLine> Lines()
        {
            // Random SKUs spread the stock rows' locks; distinct ones, since an order names a product once.
            var picked = new HashSet<int>();
            while (picked.Count < options.LinesPerOrder)
            {
                picked.Add(Random.Shared.Next(_skus.Count));
            }

            var lines = picked.Select(i => Storefront.Line(_skus[i])).ToList();
            if (options.HotSkuPercent > 0 && Random.Shared.Next(100) < options.HotSkuPercent)
            {
                lines.Add(Storefront.Line(HotSku));
            }

            return lines;
        }

        private static long Nanoseconds(TimeSpan span) => Math.Max(0, span.Ticks) * 100;
    }
}

/// <summary>Everything the report needs from one run.</summary>
public sealed record SagaRunResult(
    IReadOnlyList<StepResult> Steps, string Durability, double IdleCommitsPerSecond, IReadOnlyDictionary<string, TimeSpan> IdleCpu,
    TimeSpan IdleWindow, QuietResult BeforeIdle, IReadOnlyCollection<string> Databases, string PostgresEndpoint)
{
    public PgBenchResult? PgBench { get; init; }
}
