using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Benchmarks.Cli;
using Benchmarks.Measurement;
using Dapr.Testing;
using Dapr.Testing.Apps;
using Npgsql;

namespace Benchmarks.Services.Recommendations;

/// <summary>
/// <c>recommendations</c>: "bought together" (one hop) and "also bought" (two hops) through the recommendations app's
/// sidecar on a graph of about 1,000,000 edges, for popular and for median products, against the service's own SQL
/// sent straight to its database.
/// </summary>
public sealed class RecommendationsCommand : ICommand
{
    private const string Password = "recommendations-bench";
    private const int Limit = 10;

    /// <summary>How many products of each kind the workers rotate over.</summary>
    private const int ProductsPerKind = 10;

    /// <summary>PostgresRecommendationGraph.DefaultLatestBuyers, which the app runs with.</summary>
    private const int LatestBuyers = 500;

    // PostgresRecommendationGraph's two reads, copied (services/Recommendations/Graph/PostgresRecommendationGraph.cs):
    // keep them in step. A drift shows at start-up, where both paths' answers are compared for every product used.
    private const string BoughtTogetherSql = """
        WITH strongest AS (
            SELECT together.to_id, together.weight
            FROM edges together
            WHERE together.type = 'BOUGHT_WITH'
              AND together.from_id = (SELECT id FROM nodes WHERE label = 'Product' AND key = $1)
            ORDER BY together.weight DESC, together.to_id
            LIMIT $2
        )
        SELECT other.key, strongest.weight
        FROM strongest
        JOIN nodes other ON other.id = strongest.to_id
        ORDER BY strongest.weight DESC, strongest.to_id
        """;

    private const string AlsoBoughtSql = """
        WITH product AS (
            SELECT id FROM nodes WHERE label = 'Product' AND key = $1
        ), buyers AS (
            SELECT bought.from_id AS id
            FROM edges bought
            WHERE bought.type = 'BOUGHT' AND bought.to_id = (SELECT id FROM product)
            ORDER BY bought.last_at DESC, bought.from_id
            LIMIT $3
        ), ranked AS (
            SELECT also.to_id AS id, count(*) AS customers
            FROM buyers
            JOIN edges also ON also.type = 'BOUGHT' AND also.from_id = buyers.id
            WHERE also.to_id <> (SELECT id FROM product)
            GROUP BY also.to_id
            ORDER BY customers DESC, also.to_id
            LIMIT $2
        )
        SELECT other.key, ranked.customers
        FROM ranked
        JOIN nodes other ON other.id = ranked.id
        ORDER BY ranked.customers DESC, ranked.id
        """;

    private static readonly string[] AllScenarios = ["bought-together-popular", "bought-together-median", "also-bought-popular", "also-bought-median"];

    public string Name => "recommendations";

    public string Summary => "bought-together / also-bought through the recommendations sidecar on ~1M edges, vs the same SQL direct";

    public string Usage => LoadFlags.Usage + $" [--orders 68000 (about 1M edges)] [--scenarios {string.Join(',', AllScenarios)}]";

    public async Task<int> RunAsync(CommandLine arguments, CancellationToken cancellationToken)
    {
        var load = LoadFlags.Read(arguments, defaultConcurrency: 8);
        var orders = arguments.Int("orders", 68_000, 100, 10_000_000);
        var selected = arguments.String("scenarios", string.Join(',', AllScenarios)).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (selected.Except(AllScenarios).ToList() is { Count: > 0 } unknown)
        {
            throw new UsageException($"unknown scenario(s) {string.Join(", ", unknown)}; known: {string.Join(", ", AllScenarios)}");
        }

        arguments.EnsureAllRead();
        return await OwnedResources.UseAsync(owned => RunAsync(owned, load, orders, selected.Distinct().ToList(), cancellationToken)).ConfigureAwait(false);
    }

    private static async Task<int> RunAsync(OwnedResources owned, LoadSettings load, int orders, IReadOnlyList<string> selected, CancellationToken ct)
    {
        var progress = Console.Error;
        var loadBefore = MachineInfo.LoadAverage();
        progress.WriteLine("starting Redis and PostgreSQL (Dapr.Testing)…");
        var redis = owned.Add(await RedisServer.StartAsync(ct: ct).ConfigureAwait(false));
        var postgres = owned.Add(await PostgresServer.StartAsync(ct: ct).ConfigureAwait(false));
        var database = postgres.ConnectionStringFor("recommendations", "recommendations", Password, ConnectionPool.Deployed);
        var app = owned.Add(await ServiceApp.StartAsync("recommendations", "Recommendations",
        [
            ServiceApp.PubSub(redis),
            ("resiliency.yaml", await File.ReadAllTextAsync(Path.Combine(BuildOutput.RepositoryRoot, "components", "resiliency.yaml"), ct).ConfigureAwait(false)),
        ], new Dictionary<string, string?>
        {
            ["ConnectionStrings__recommendations"] = database,
            ["ConnectionStrings__recommendations-admin"] = postgres.ConnectionString,
        }, progress, ct).ConfigureAwait(false));
        owned.OnFailurePrint(() => app.Output);

        var building = Stopwatch.StartNew();
        var graph = await BuildGraphAsync(postgres, orders, progress, ct).ConfigureAwait(false);
        building.Stop();

        var direct = owned.Add(NpgsqlDataSource.Create(database));
        var products = await PickProductsAsync(direct, ct).ConfigureAwait(false);
        foreach (var product in products.Popular.Concat(products.Median))
        {
            await CheckSameAnswerAsync(app, direct, "bought-together", BoughtTogetherSql, product.Key, ct).ConfigureAwait(false);
            await CheckSameAnswerAsync(app, direct, "also-bought", AlsoBoughtSql, product.Key, ct).ConfigureAwait(false);
        }

        var scenarios = selected.Select(id =>
        {
            var (query, sql) = id.StartsWith("bought-together", StringComparison.Ordinal) ? ("bought-together", BoughtTogetherSql) : ("also-bought", AlsoBoughtSql);
            var keys = (id.EndsWith("popular", StringComparison.Ordinal) ? products.Popular : products.Median).Select(p => p.Key).ToArray();
            var sidecarTurns = new int[load.Concurrency];
            var directTurns = new int[load.Concurrency];
            string Next(int[] turns, int worker) => keys[(worker + turns[worker]++) % keys.Length];
            return new Scenario(id, id,
            [
                BenchmarkPath.Timed("SQL direct (Npgsql)", PathRole.Baseline, async (w, c) => await DirectAsync(direct, sql, Next(directTurns, w), c).ConfigureAwait(false)),
                BenchmarkPath.Timed("invoke via sidecar", PathRole.Measured, async (w, c) => await ThroughSidecarAsync(app, query, Next(sidecarTurns, w), c).ConfigureAwait(false)),
            ]);
        }).ToList();

        var results = await ServiceRun.MeasureAsync(scenarios, load, await ServiceRun.CpuSourcesAsync(postgres).ConfigureAwait(false), progress, ct)
            .ConfigureAwait(false);

        static string Buyers(IReadOnlyList<(string Key, long Buyers)> ps) => $"{ps.Min(p => p.Buyers).ToString("N0", CultureInfo.InvariantCulture)}–{ps.Max(p => p.Buyers).ToString("N0", CultureInfo.InvariantCulture)} buyers";
        ServiceRun.Print("Recommendations benchmark: graph queries through the recommendations app's sidecar", loadBefore, load,
        [
            ("service", "services/Recommendations (Release) beside local-daprd; its own role and database, its migrations"),
            ("servers", $"PostgreSQL on {postgres.Host}:{postgres.Port} (fsync=off, default shared_buffers), redis-server for pubsub"),
            ("graph", $"tools/Benchmarks/Data/recommendations-graph.sql (psql, -v orders={orders.ToString(CultureInfo.InvariantCulture)}) into the service's tables: {graph}, " +
                      $"{building.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s"),
            ("products", $"popular = the {ProductsPerKind} most bought ({Buyers(products.Popular)}), median = {ProductsPerKind} around the median ({Buyers(products.Median)}); " +
                         $"limit {Limit}, also-bought counts the latest {LatestBuyers} buyers"),
        ], results,
        [
            "Both paths run the service's statements; the measured one adds the caller → sidecar → app hops, the app's own\n" +
            "Npgsql pool and JSON. The issue's target (two-hop queries on 1M edges):",
            string.Join('\n', results.Select(r => ServiceRun.AgainstTarget($"{r.Scenario.Id} via sidecar", r.Paths.Single(p => p.Path.Role == PathRole.Measured), 20))),
        ]);
        return 0;
    }

    /// <summary>
    /// Runs the repository's graph script with psql (it uses psql variables and \gset) against the service's database,
    /// after the service has migrated it, so the graph lands in the service's own tables and indexes. Returns the edge
    /// and node counts it printed.
    /// </summary>
    private static async Task<string> BuildGraphAsync(PostgresServer postgres, int orders, TextWriter progress, CancellationToken ct)
    {
        var script = Path.Combine(BuildOutput.RepositoryRoot, "tools", "Benchmarks", "Data", "recommendations-graph.sql");
        progress.WriteLine($"building the graph: psql -f {script} -v orders={orders}…");
        var start = new ProcessStartInfo("psql")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
                 {
                     "-X", "-q", "-A", "-t", "-h", postgres.Host, "-p", postgres.Port.ToString(CultureInfo.InvariantCulture), "-U", PostgresServer.Superuser,
                     "-d", "recommendations", "-v", "ON_ERROR_STOP=1", "-v", "orders=" + orders.ToString(CultureInfo.InvariantCulture), "-f", script,
                 })
        {
            start.ArgumentList.Add(arg);
        }

        using var psql = Process.Start(start) ?? throw new InvalidOperationException("psql did not start");
        var output = psql.StandardOutput.ReadToEndAsync(ct);
        var errors = psql.StandardError.ReadToEndAsync(ct);
        await psql.WaitForExitAsync(ct).ConfigureAwait(false);
        if (psql.ExitCode != 0)
        {
            throw new InvalidOperationException($"psql -f {script} exited with {psql.ExitCode}:\n{await errors.ConfigureAwait(false)}{await output.ConfigureAwait(false)}");
        }

        // -A -t: the script's two summaries as "type|edges|max weight" and "label|nodes" lines; the row without a type is the total.
        var lines = (await output.ConfigureAwait(false)).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(l => l.Split('|')).ToList();
        string Count(Func<string[], bool> row, int column) => long.Parse(lines.Single(row)[column], CultureInfo.InvariantCulture).ToString("N0", CultureInfo.InvariantCulture);
        return $"{Count(l => l is ["", _, _], 1)} edges " +
               $"({Count(l => l is ["BOUGHT", _, _], 1)} BOUGHT, {Count(l => l is ["BOUGHT_WITH", _, _], 1)} BOUGHT_WITH), " +
               $"{Count(l => l is ["Customer", _], 1)} customers, {Count(l => l is ["Product", _], 1)} products";
    }

    /// <summary>Products by number of buyers: the most bought ones, and as many around the median.</summary>
    private static async Task<(IReadOnlyList<(string Key, long Buyers)> Popular, IReadOnlyList<(string Key, long Buyers)> Median)> PickProductsAsync(
        NpgsqlDataSource database, CancellationToken ct)
    {
        await using var command = database.CreateCommand("""
            SELECT n.key, count(*) AS buyers
            FROM edges e JOIN nodes n ON n.id = e.to_id
            WHERE e.type = 'BOUGHT'
            GROUP BY n.id, n.key
            ORDER BY count(*) DESC, n.id
            """);
        var ranked = new List<(string Key, long Buyers)>();
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            ranked.Add((reader.GetString(0), reader.GetInt64(1)));
        }

        if (ranked.Count < 4 * ProductsPerKind)
        {
            throw new InvalidOperationException($"the graph has only {ranked.Count} bought products; use more --orders");
        }

        return (ranked.Take(ProductsPerKind).ToList(), ranked.Skip((ranked.Count / 2) - (ProductsPerKind / 2)).Take(ProductsPerKind).ToList());
    }

    private static async Task<IReadOnlyList<(string Key, long Score)>> ThroughSidecarAsync(ServiceApp app, string query, string product, CancellationToken ct)
    {
        var answer = await app.ThroughSidecar.GetFromJsonAsync<JsonElement>($"recommendations/{Uri.EscapeDataString(product)}/{query}?limit={Limit}", ct).ConfigureAwait(false);
        return answer.GetProperty("recommendations").EnumerateArray()
            .Select(r => (r.GetProperty("productId").GetString()!, r.GetProperty("score").GetInt64())).ToList();
    }

    private static async Task<IReadOnlyList<(string Key, long Score)>> DirectAsync(NpgsqlDataSource database, string sql, string product, CancellationToken ct)
    {
        await using var command = database.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = product, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = Limit, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
        if (ReferenceEquals(sql, AlsoBoughtSql))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = LatestBuyers, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
        }

        var recommendations = new List<(string, long)>(Limit);
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            recommendations.Add((reader.GetString(0), reader.GetInt64(1)));
        }

        return recommendations;
    }

    private static async Task CheckSameAnswerAsync(ServiceApp app, NpgsqlDataSource database, string query, string sql, string product, CancellationToken ct)
    {
        var viaSidecar = await ThroughSidecarAsync(app, query, product, ct).ConfigureAwait(false);
        var direct = await DirectAsync(database, sql, product, ct).ConfigureAwait(false);
        if (!viaSidecar.SequenceEqual(direct))
        {
            throw new InvalidOperationException(
                $"{query} of {product}: the service answered [{string.Join(", ", viaSidecar)}], the direct SQL [{string.Join(", ", direct)}]; " +
                "the copied statements no longer match services/Recommendations/Graph/PostgresRecommendationGraph.cs");
        }
    }
}
