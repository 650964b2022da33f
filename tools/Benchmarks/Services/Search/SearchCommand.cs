using System.Data;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Benchmarks.Cli;
using Benchmarks.Measurement;
using Dapr.Testing;
using Npgsql;
using NpgsqlTypes;

namespace Benchmarks.Services.Search;

/// <summary>
/// <c>search</c>: full-text searches through the search app's sidecar over a read model of 100,000 products, against
/// the service's own SQL sent straight to its database, side by side.
/// </summary>
public sealed class SearchCommand : ICommand
{
    private const string Password = "search-bench";

    /// <summary>
    /// ProductSearch.SearchAsync's statements, copied (services/Search/Indexing/ProductSearch.cs): keep them in step. A
    /// drift shows at start-up, where every query's answer on both paths is compared before anything is measured.
    /// </summary>
    private const string Matching = """
        FROM products,
             LATERAL (SELECT websearch_to_tsquery('search_english', $1) || websearch_to_tsquery('search_french', $1) AS query) q
        WHERE NOT deleted
          AND ($1 = '' OR document @@ q.query)
          AND ($2::text IS NULL OR category = $2)
        """;

    private const string PageSql = $"""
        SELECT id, sku, name, description, category, price, currency, language,
               CASE WHEN $1 = '' THEN 0 ELSE ts_rank(document, q.query) END AS rank
        {Matching}
        ORDER BY rank DESC, name, id
        LIMIT $3 OFFSET $4
        """;

    private const string CountSql = $"SELECT count(*) {Matching}";

    public string Name => "search";

    public string Summary => "full-text search through the search app's sidecar over 100,000 products, vs the same SQL direct";

    public string Usage => LoadFlags.Usage + " [--products 100000]";

    public async Task<int> RunAsync(CommandLine arguments, CancellationToken cancellationToken)
    {
        var load = LoadFlags.Read(arguments, defaultConcurrency: 8);
        var products = arguments.Int("products", 100_000, 1_000, 10_000_000);
        arguments.EnsureAllRead();
        return await OwnedResources.UseAsync(owned => RunAsync(owned, load, products, cancellationToken)).ConfigureAwait(false);
    }

    private static async Task<int> RunAsync(OwnedResources owned, LoadSettings load, int productCount, CancellationToken ct)
    {
        var progress = Console.Error;
        var loadBefore = MachineInfo.LoadAverage();
        progress.WriteLine("starting Redis and PostgreSQL (Dapr.Testing)…");
        var redis = owned.Add(await RedisServer.StartAsync(ct: ct).ConfigureAwait(false));
        var postgres = owned.Add(await PostgresServer.StartAsync(ct: ct).ConfigureAwait(false));
        var database = postgres.ConnectionStringFor("search", "search", Password, ConnectionPool.Deployed);
        // The service provisions its role and database and runs its migrations before it listens, as in development.
        var search = owned.Add(await ServiceApp.StartAsync("search", "Search", [ServiceApp.PubSub(redis)], new Dictionary<string, string?>
        {
            ["ConnectionStrings__search"] = database,
            ["ConnectionStrings__search-admin"] = postgres.ConnectionString,
        }, progress, ct).ConfigureAwait(false));
        owned.OnFailurePrint(() => search.Output);

        var direct = owned.Add(NpgsqlDataSource.Create(database));
        var seeding = Stopwatch.StartNew();
        await SeedAsync(direct, productCount, progress, ct).ConfigureAwait(false);
        seeding.Stop();

        var queries = SearchCatalog.Queries();
        var matches = await CheckSamePagesAsync(search, direct, queries, ct).ConfigureAwait(false);

        // Each worker walks the list from its own starting point, so at any moment the workers run different searches.
        var sidecarTurns = new int[load.Concurrency];
        var directTurns = new int[load.Concurrency];
        SearchQuery Next(int[] turns, int worker) => queries[((worker * 7) + turns[worker]++) % queries.Count];
        var scenario = new Scenario("search", "full-text search",
        [
            BenchmarkPath.Timed("SQL direct (Npgsql)", PathRole.Baseline, async (w, c) => await DirectAsync(direct, Next(directTurns, w), c).ConfigureAwait(false)),
            BenchmarkPath.Timed("invoke via sidecar", PathRole.Measured, async (w, c) => await ThroughSidecarAsync(search, Next(sidecarTurns, w), c).ConfigureAwait(false)),
        ]);

        var results = await ServiceRun.MeasureAsync([scenario], load, await ServiceRun.CpuSourcesAsync(postgres).ConfigureAwait(false), progress, ct)
            .ConfigureAwait(false);

        ServiceRun.Print("Search benchmark: full-text search through the search app's sidecar", loadBefore, load,
        [
            ("service", "services/Search (Release) beside local-daprd; its own role and database, its migrations"),
            ("servers", $"PostgreSQL on {postgres.Host}:{postgres.Port} (fsync=off, default shared_buffers), redis-server for pubsub"),
            ("read model", $"{productCount.ToString("N0", CultureInfo.InvariantCulture)} products, half English half French, COPY into the service's products table " +
                           $"(tsvector generated by the table) + VACUUM ANALYZE, {seeding.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s"),
            ("searches", $"{queries.Count} in rotation (20 texts × no filter / category / page 2-5, pageSize 20); " +
                         $"matches per search {matches.Min().ToString(CultureInfo.InvariantCulture)}–{matches.Max().ToString("N0", CultureInfo.InvariantCulture)}, " +
                         $"median {matches.Order().ElementAt(matches.Count / 2).ToString(CultureInfo.InvariantCulture)}"),
        ], results,
        [
            "Both paths run the service's statements (page + count in one REPEATABLE READ transaction, one batch). The direct\n" +
            "path reads the rows with Npgsql; the measured one adds the caller → sidecar → app hops, the app's own Npgsql pool\n" +
            "and JSON both ways. The issue's target:",
            ServiceRun.AgainstTarget("search via sidecar", results[0].Paths.Single(p => p.Path.Role == PathRole.Measured), 20),
        ]);
        return 0;
    }

    /// <summary>
    /// COPY into the service's own table, as the service's role. The row is what the event handler's upsert writes
    /// (ProductIndex: id, sku, name, description, category, price, currency, language, version); the tsvector column is
    /// GENERATED ALWAYS by the table and the GIN index maintained by PostgreSQL, so the index is exactly the one events
    /// build. What COPY skips is the per-event cost (one transaction and one processed_events row per product), which
    /// a search does not read; 100,000 events through pub/sub would take minutes on a shared 2-core machine.
    /// </summary>
    private static async Task SeedAsync(NpgsqlDataSource database, int count, TextWriter progress, CancellationToken ct)
    {
        progress.WriteLine($"seeding {count:N0} products with COPY…");
        await using (var connection = await database.OpenConnectionAsync(ct).ConfigureAwait(false))
        {
            await using var import = await connection.BeginBinaryImportAsync(
                "COPY products (id, sku, name, description, category, price, currency, language, version) FROM STDIN (FORMAT BINARY)", ct).ConfigureAwait(false);
            for (var i = 0; i < count; i++)
            {
                var p = SearchCatalog.Product(i);
                await import.StartRowAsync(ct).ConfigureAwait(false);
                await import.WriteAsync(p.Id, NpgsqlDbType.Text, ct).ConfigureAwait(false);
                await import.WriteAsync(p.Sku, NpgsqlDbType.Text, ct).ConfigureAwait(false);
                await import.WriteAsync(p.Name, NpgsqlDbType.Text, ct).ConfigureAwait(false);
                await import.WriteAsync(p.Description, NpgsqlDbType.Text, ct).ConfigureAwait(false);
                await import.WriteAsync(p.Category, NpgsqlDbType.Text, ct).ConfigureAwait(false);
                await import.WriteAsync(p.Price, NpgsqlDbType.Numeric, ct).ConfigureAwait(false);
                await import.WriteAsync(p.Currency, NpgsqlDbType.Char, ct).ConfigureAwait(false);
                await import.WriteAsync(p.Language, NpgsqlDbType.Text, ct).ConfigureAwait(false);
                await import.WriteAsync(p.Version, NpgsqlDbType.Bigint, ct).ConfigureAwait(false);
            }

            await import.CompleteAsync(ct).ConfigureAwait(false);
        }

        // Statistics for the planner and the GIN pending list merged, as autovacuum would leave them some time after
        // a bulk load; without it the first minutes of searches would measure the load, not the read model.
        progress.WriteLine("VACUUM ANALYZE products…");
        await using var vacuum = database.CreateCommand("VACUUM ANALYZE products");
        vacuum.CommandTimeout = 600;
        await vacuum.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static async Task<IReadOnlyList<string>> ThroughSidecarAsync(ServiceApp search, SearchQuery query, CancellationToken ct)
    {
        var page = await search.ThroughSidecar.GetFromJsonAsync<JsonElement>(query.PathAndQuery, ct).ConfigureAwait(false);
        return page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()!).ToList();
    }

    private static async Task<IReadOnlyList<string>> DirectAsync(NpgsqlDataSource database, SearchQuery query, CancellationToken ct)
        => (await DirectPageAsync(database, query, ct).ConfigureAwait(false)).Ids;

    /// <summary>The page's ids, best first, and the total, as ProductSearch computes them.</summary>
    private static async Task<(IReadOnlyList<string> Ids, long Total)> DirectPageAsync(NpgsqlDataSource database, SearchQuery query, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct).ConfigureAwait(false);
        await using var batch = new NpgsqlBatch(connection, transaction);
        var terms = query.Text.Trim();
        batch.BatchCommands.Add(Command(PageSql, terms, query.Category, query.PageSize, (query.Page - 1) * query.PageSize));
        batch.BatchCommands.Add(Command(CountSql, terms, query.Category));
        var ids = new List<string>(query.PageSize);
        await using (var reader = await batch.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                // Every column is read, as the service materializes each hit.
                ids.Add(reader.GetString(0));
                _ = (reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetString(4),
                    reader.GetDecimal(5), reader.GetString(6), reader.IsDBNull(7) ? null : reader.GetString(7), reader.GetFloat(8));
            }

            await reader.NextResultAsync(ct).ConfigureAwait(false);
            await reader.ReadAsync(ct).ConfigureAwait(false);
            var total = reader.GetInt64(0);
            await reader.CloseAsync().ConfigureAwait(false);
            await transaction.CommitAsync(ct).ConfigureAwait(false);
            return (ids, total);
        }
    }

    private static NpgsqlBatchCommand Command(string sql, string terms, string? category, params int[] paging)
    {
        var command = new NpgsqlBatchCommand(sql)
        {
            Parameters =
            {
                new() { Value = terms, NpgsqlDbType = NpgsqlDbType.Text },
                new() { Value = (object?)category ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
            },
        };
        foreach (var value in paging)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return command;
    }

    /// <summary>Every search must give the same page and total on both paths; returns each search's total.</summary>
    private static async Task<IReadOnlyList<long>> CheckSamePagesAsync(ServiceApp search, NpgsqlDataSource database, IReadOnlyList<SearchQuery> queries, CancellationToken ct)
    {
        var totals = new List<long>();
        foreach (var query in queries)
        {
            var page = await search.ThroughSidecar.GetFromJsonAsync<JsonElement>(query.PathAndQuery, ct).ConfigureAwait(false);
            var viaSidecar = page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()!).ToList();
            var (ids, total) = await DirectPageAsync(database, query, ct).ConfigureAwait(false);
            if (!viaSidecar.SequenceEqual(ids) || page.GetProperty("total").GetInt64() != total)
            {
                throw new InvalidOperationException(
                    $"{query}: the service answered {page.GetProperty("total")} matches [{string.Join(", ", viaSidecar)}], the direct SQL {total} [{string.Join(", ", ids)}]; " +
                    "the copied statements no longer match services/Search/Indexing/ProductSearch.cs");
            }

            totals.Add(total);
        }

        return totals;
    }
}
