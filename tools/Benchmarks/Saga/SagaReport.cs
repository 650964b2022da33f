using System.Globalization;
using Benchmarks.Cli;
using Benchmarks.Measurement;
using Dapr.Testing;

namespace Benchmarks.Saga;

/// <summary>The saga benchmark's report: results per rate, where the time went, the commits against pgbench, the CPU per process, targets and anchors.</summary>
public static class SagaReport
{
    private const double TargetRate = 100;
    private const double TargetP99Rate = 50;
    private const double TargetP99Milliseconds = 500;

    public static void Print(TextWriter output, SagaOptions options, SagaRunResult run, string? loadBefore)
    {
        ReportPrinter.PrintHeader(output, "Saga benchmark: checkout → Confirmed through customers, inventory, payments, orders and order-workflow (open-loop arrivals)",
        [
            ("load average", $"{loadBefore ?? "n/a"} before, {MachineInfo.LoadAverage() ?? "n/a"} after"),
            ("postgresql", $"{run.PostgresEndpoint}, {run.Durability} (Dapr.Testing's defaults: commits are not durable against power loss)"),
            ("redis", "redis-server from Dapr.Testing, no persistence: pub/sub, the cart, the workflow state (actor state store)"),
            ("apps", "the six checkout apps (Release build), each beside its own local-daprd child process, as Production with warning-level logs; " +
                     "approval threshold 1e9, so no saga waits for a human; " +
                     $"each service's Npgsql pool at most {ConnectionPool.Deployed.MaxPoolSize} connections, idle ones closed after " +
                     $"{ConnectionPool.Deployed.IdleLifetime.TotalSeconds:0} s (Npgsql's default, as with dapr.yaml)"),
            ("load", $"rates {string.Join(", ", options.Rates)} sagas/s, {CommandLine.Format(options.Duration)} each, warm-up {CommandLine.Format(options.Warmup)} at {options.Rates[0]}/s; " +
                     $"{options.Customers} customers round-robin, {options.Skus} SKUs, {options.LinesPerOrder} random line(s) per order" +
                     (options.HotSkuPercent > 0 ? $", {options.HotSkuPercent} % of orders also take the one SKU HOT-1" : ", no shared SKU")),
            ("latency", "from the time each checkout (POST /orders through orders' sidecar) was due to the `at` of its Confirmed row in " +
                        "orders' status history, read from the orders database after each step (same machine clock)"),
        ]);

        var results = new TextTable("rate/s", "sent", "sagas/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "confirmed", "cancelled", "attention", "unfinished",
            "refused", "POST p99 ms", "send lag max ms");
        foreach (var step in run.Steps)
        {
            var h = step.ToConfirmed;
            results.Add(
                Int(step.Rate), Int(step.Sent.Arrivals.Count), Fixed(step.SagasPerSecond, "0.0"),
                Percentile(h, 50), Percentile(h, 90), Percentile(h, 99), h.Count == 0 ? "-" : ReportPrinter.Ms(h.MaxNanoseconds),
                Int(step.Confirmed), Int(step.Cancelled), Int(step.NeedsAttention), Int(step.NotFinished),
                Int(step.CheckoutFailures.Sum(f => f.Count)), Percentile(step.Sent.AnswerLatency, 99), ReportPrinter.Ms(step.Sent.SendLag.MaxNanoseconds));
        }

        output.WriteLine("Results per rate (sagas/s = ended sagas / (last end − first due time); percentiles over confirmed orders)");
        output.Write(results);
        output.WriteLine("  refused = POST /orders not answered 2xx; POST p99 = due time → checkout answered; send lag = how late the client sent (latency is counted from the due time anyway)");
        foreach (var step in run.Steps)
        {
            foreach (var (answer, count, example) in step.CheckoutFailures)
            {
                output.WriteLine($"  at {Int(step.Rate)}/s, {Int(count)} checkout(s) answered {answer}, e.g. {example}");
            }
        }

        output.WriteLine();
        var where = new TextTable(["rate/s", .. run.Steps[0].Steps.Select(s => s.Step + " p50/p99"), "Confirmed p50/p99", "relay took → Confirmed p50/p99"]);
        foreach (var step in run.Steps)
        {
            where.Add([Int(step.Rate), .. step.Steps.Select(s => Pair(s.Latency)), Pair(step.ToConfirmed), Pair(step.RelayToConfirmed)]);
        }

        output.WriteLine("Where the time goes: ms from the due time to each stamp the services write anyway (confirmed orders)");
        output.Write(where);
        output.WriteLine("  each stamp is PostgreSQL's now() of the transaction that wrote it, i.e. when that transaction began: order committed = orders.created_at;");
        output.WriteLine("  relay took saga start = the outbox row's sent_at, the start of the relay's batch transaction, which then invokes order-workflow row by row;");
        output.WriteLine("  stock reserved = inventory's reservations.created_at; Confirmed = orders' status history `at` (orders' clock when it handled the confirm);");
        output.WriteLine("  relay took → Confirmed, per order: the saga itself without the outbox queue in front of it");

        output.WriteLine();
        PrintCommits(output, run);
        output.WriteLine();
        PrintCpu(output, run);
        output.WriteLine();
        PrintStatements(output, run);
        PrintTargets(output, run);
    }

    private static void PrintCommits(TextWriter output, SagaRunResult run)
    {
        var tps = run.PgBench?.TransactionsPerSecond;
        output.WriteLine(run.PgBench is { } pgbench
            ? $"PostgreSQL capacity: `{pgbench.Command}` (after `pgbench -i -s {pgbench.Scale}` into its own database; run before the apps started) = {Fixed(pgbench.TransactionsPerSecond, "0")} tps (one commit each)"
            : "PostgreSQL capacity: pgbench skipped (--pgbench-duration 0)");
        var commits = new TextTable("rate/s", "commits", "commits/saga", "commits/s at sagas/s", "% of pgbench tps");
        foreach (var step in run.Steps)
        {
            commits.Add(Int(step.Rate), step.Commits.ToString(CultureInfo.InvariantCulture), Fixed(step.CommitsPerSaga, "0.0"),
                Fixed(step.CommitsPerSecond, "0"), tps is { } t ? Fixed(100 * step.CommitsPerSecond / t, "0.0") : "-");
        }

        output.Write(commits);
        output.WriteLine($"  commits = xact_commit delta in pg_stat_database over {string.Join(", ", run.Databases.Order(StringComparer.Ordinal))}, less the benchmark's own reads and");
        output.WriteLine($"  the idle background ({Fixed(run.IdleCommitsPerSecond, "0.0")} commits/s measured over {CommandLine.Format(run.IdleWindow)} with no traffic: relays' and CDC polls;");
        output.WriteLine($"  {(run.BeforeIdle.Settled ? "after the warm-up's tail had wound down" : "NOT settled, see CPU below")})");
        if (tps is { } capacity && run.Steps.Where(s => s.Ended > 0).Select(s => s.CommitsPerSaga).DefaultIfEmpty(double.NaN).Average() is var perSaga && !double.IsNaN(perSaga))
        {
            output.WriteLine($"  at the {Fixed(TargetRate, "0")} sagas/s target the sagas would need {Fixed(perSaga * TargetRate, "0")} commits/s = {Fixed(100 * perSaga * TargetRate / capacity, "0")} % of pgbench's rate; " +
                             $"pgbench's rate alone would allow {Fixed(capacity / perSaga, "0")} sagas/s");
        }
    }

    private static void PrintCpu(TextWriter output, SagaRunResult run)
    {
        if (run.IdleCpu.Count == 0)
        {
            output.WriteLine("CPU: not measured (needs Linux /proc)");
            return;
        }

        output.WriteLine("CPU: cores used by each process (CPU time / wall time; the rate steps' window runs from the first checkout until the last saga ended)");
        output.WriteLine($"  idle: {IdleStart(run.BeforeIdle)}");
        var table = new TextTable(["process", "idle", .. run.Steps.Select(s => Int(s.Rate) + "/s")]);
        foreach (var source in run.IdleCpu.Keys)
        {
            table.Add([source, Cores(run.IdleCpu[source], run.IdleWindow), .. run.Steps.Select(s => Cores(s.Cpu[source], s.Wall))]);
        }

        var machine = CheckoutProcesses.MachineSource;
        table.Add(["machine CPU ms per saga", "", .. run.Steps.Select(s => s.Ended == 0 ? "-" : Fixed(s.Cpu[machine].TotalMilliseconds / s.Ended, "0.0"))]);
        output.Write(table);
        output.WriteLine($"  {Environment.ProcessorCount} cores in all; the machine row counts every process on it, other tenants included");
    }

    private static void PrintStatements(TextWriter output, SagaRunResult run)
    {
        foreach (var step in run.Steps)
        {
            if (step is not { Statements: { } costs, Ended: > 0 })
            {
                continue;
            }

            output.WriteLine($"PostgreSQL statements at {Int(step.Rate)}/s (pg_stat_statements, top-level, execution time only; the benchmark's own reads included): " +
                             $"{Fixed((double)costs.Calls / step.Ended, "0.0")} statements and {Fixed(costs.TotalMilliseconds / step.Ended, "0.00")} ms per saga in all");
            var table = new TextTable("service", "calls/saga", "ms/saga", "mean ms", "rows/call", "statement");
            foreach (var statement in costs.Top)
            {
                table.Add(statement.Service, Fixed((double)statement.Calls / step.Ended, "0.00"), Fixed(statement.TotalMilliseconds / step.Ended, "0.000"),
                    Fixed(statement.TotalMilliseconds / Math.Max(1, statement.Calls), "0.000"), Fixed((double)statement.Rows / Math.Max(1, statement.Calls), "0.0"),
                    OneLine(statement.Query, 110));
            }

            output.Write(table);
            output.WriteLine();
        }

        static string OneLine(string query, int width)
        {
            var text = string.Join(' ', query.Split((char[])[' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries));
            return text.Length <= width ? text : text[..(width - 1)] + "…";
        }
    }

    private static void PrintTargets(TextWriter output, SagaRunResult run)
    {
        var best = run.Steps.MaxBy(s => s.SagasPerSecond);
        var at50 = run.Steps.FirstOrDefault(s => s.Rate == (int)TargetP99Rate);
        output.WriteLine("Targets (reported against, not pass/fail)");
        output.WriteLine($"  ≥ {Fixed(TargetRate, "0")} sagas/s:           best step {(best is null ? "-" : $"{Fixed(best.SagasPerSecond, "0.0")} sagas/s at {Int(best.Rate)}/s offered")}");
        output.WriteLine($"  p99 < {Fixed(TargetP99Milliseconds, "0")} ms at {Fixed(TargetP99Rate, "0")}/s:  " +
                         (at50 is null ? "no 50/s step in --rates" : $"p99 {Percentile(at50.ToConfirmed, 99)} ms"));
        output.WriteLine("Anchors, Dapr v1.17's published workflow figures (Kubernetes, daprd with the Scheduler and actors, larger machines):");
        output.WriteLine("  57 workflows/s with 5 chained activities; 98 workflows/s with 5 parallel activities");
        output.WriteLine("  the saga here is 4 chained activities (reserve, authorize, capture, confirm) plus the orders outbox hop before it,");
        output.WriteLine("  on the local sidecar's workflow engine with Redis as the actor state store, on this one machine");
    }

    private static string Percentile(LatencyHistogram histogram, double percentile)
        => histogram.Count == 0 ? "-" : ReportPrinter.Ms(histogram.PercentileNanoseconds(percentile));

    private static string Pair(LatencyHistogram histogram)
        => histogram.Count == 0
            ? "-"
            : $"{Fixed(histogram.PercentileNanoseconds(50) / 1e6, "0")} / {Fixed(histogram.PercentileNanoseconds(99) / 1e6, "0")}";

    private static string IdleStart(QuietResult quiet) => quiet.Settled
        ? $"measured once every app, sidecar and store stayed under {Fixed(Quiescence.CoresPerProcess, "0.00")} cores for two {CommandLine.Format(Quiescence.Window)} windows, {quiet.WaitedSeconds} after the warm-up drained"
        : $"NOT settled: {string.Join(", ", quiet.StillBusy)} still above {Fixed(Quiescence.CoresPerProcess, "0.00")} cores {quiet.WaitedSeconds} after the warm-up drained, so the idle figures include its tail";

    private static string Cores(TimeSpan cpu, TimeSpan wall) => Fixed(cpu / wall, "0.00");

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Fixed(double value, string format) => double.IsNaN(value) ? "-" : value.ToString(format, CultureInfo.InvariantCulture);
}
