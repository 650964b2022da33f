using System.Globalization;
using Benchmarks.Cli;

namespace Benchmarks.Saga;

/// <summary>The flags of <c>saga</c>, read and checked before anything is started.</summary>
public sealed record SagaOptions
{
    public IReadOnlyList<int> Rates { get; init; } = [25, 50, 100, 150];

    /// <summary>How long arrivals are sent at each rate.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Arrivals at the first rate before anything is measured, so twelve processes have JIT-compiled their paths.</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long to wait after the last arrival of a step for its sagas to end; the rest count as not finished.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(90);

    public int Customers { get; init; } = 100;

    public int Skus { get; init; } = 500;

    public int LinesPerOrder { get; init; } = 2;

    /// <summary>Percentage of orders that also take one unit of the same SKU: 0 spreads stock rows, 100 makes one row every order's.</summary>
    public int HotSkuPercent { get; init; }

    public int PgbenchScale { get; init; } = 10;

    public int PgbenchClients { get; init; } = 8;

    /// <summary>Zero skips pgbench.</summary>
    public TimeSpan PgbenchDuration { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How many of the statements PostgreSQL spent most time on to list per step (pg_stat_statements); zero lists none and leaves it unloaded.</summary>
    public int Statements { get; init; }

    public const string Usage =
        "[--rates 25,50,100,150 (sagas/s, one step each)] [--duration 20s (per rate)] [--warmup 5s] [--drain-timeout 90s] " +
        "[--customers 100] [--skus 500] [--lines 2 (per order)] [--hot-sku 0 (% of orders that also take one shared SKU)] " +
        "[--pgbench-scale 10] [--pgbench-clients 8] [--pgbench-duration 15s (0 skips pgbench)] " +
        "[--statements 0 (list the N statements PostgreSQL spent most time on per step, through pg_stat_statements)]";

    public static SagaOptions Parse(CommandLine arguments)
    {
        var defaults = new SagaOptions();
        var options = new SagaOptions
        {
            Rates = ParseRates(arguments.String("rates", string.Join(',', defaults.Rates))),
            Duration = arguments.Duration("duration", defaults.Duration, TimeSpan.FromSeconds(1)),
            Warmup = arguments.Duration("warmup", defaults.Warmup, TimeSpan.Zero),
            DrainTimeout = arguments.Duration("drain-timeout", defaults.DrainTimeout, TimeSpan.FromSeconds(1)),
            Customers = arguments.Int("customers", defaults.Customers, 1, 100_000),
            Skus = arguments.Int("skus", defaults.Skus, 1, 1_000_000),
            LinesPerOrder = arguments.Int("lines", defaults.LinesPerOrder, 1, 50),
            HotSkuPercent = arguments.Int("hot-sku", defaults.HotSkuPercent, 0, 100),
            PgbenchScale = arguments.Int("pgbench-scale", defaults.PgbenchScale, 1, 1000),
            PgbenchClients = arguments.Int("pgbench-clients", defaults.PgbenchClients, 1, 200),
            PgbenchDuration = arguments.Duration("pgbench-duration", defaults.PgbenchDuration, TimeSpan.Zero),
            Statements = arguments.Int("statements", defaults.Statements, 0, 1000),
        };
        arguments.EnsureAllRead();
        if (options.LinesPerOrder > options.Skus)
        {
            throw new UsageException($"--lines {options.LinesPerOrder} needs at least as many SKUs, but --skus is {options.Skus}");
        }

        return options;
    }

    /// <summary><c>25,50,100</c>: whole sagas per second, each at least 1, in the order given (repeats allowed, to see drift).</summary>
    public static IReadOnlyList<int> ParseRates(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var rates = new List<int>(parts.Length);
        foreach (var part in parts)
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var rate) || rate is < 1 or > 100_000)
            {
                throw new UsageException($"--rates must be a comma-separated list of whole sagas per second from 1 to 100000, got '{text}'");
            }

            rates.Add(rate);
        }

        return rates;
    }
}
