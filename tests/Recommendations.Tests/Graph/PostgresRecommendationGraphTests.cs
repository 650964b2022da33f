using Dapr.Testing;
using Npgsql;
using Recommendations.Graph;

namespace Recommendations.Tests.Graph;

/// <summary>
/// The queries on a small graph whose answers are worked out by hand below, and the write path under redelivery and
/// concurrency, on a real PostgreSQL.
/// </summary>
[Collection(SharedServers.Collection)]
public sealed class PostgresRecommendationGraphTests(SharedServers servers)
{
    private const string OrderConfirmed = "order.confirmed.v1";
    private static readonly DateTimeOffset Monday = new(2025, 3, 3, 9, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// Orders in the order they were confirmed, one hour apart. Products enter the graph in this order (within an
    /// order, by key), which decides ties: espresso, beans and grinder in order 1, milk-jug in 3, descaler in 5,
    /// tamper in 8.
    /// </summary>
    private static readonly (string Customer, string[] Products)[] Orders =
    [
        ("alice", ["espresso", "grinder", "beans"]),
        ("bob", ["espresso", "beans"]),
        ("carol", ["espresso", "milk-jug"]),
        ("carol", ["beans", "grinder"]),
        ("alice", ["descaler"]),
        ("alice", ["descaler"]),
        ("dave", ["descaler", "milk-jug"]),
        ("erin", ["tamper", "grinder"]),
    ];

    private async Task<(GraphDatabase Database, PostgresRecommendationGraph Graph)> CoffeeShopAsync(int latestBuyers = PostgresRecommendationGraph.DefaultLatestBuyers)
    {
        var database = await GraphDatabase.CreateAsync(servers);
        var graph = new PostgresRecommendationGraph(database.DataSource, latestBuyers);
        for (var i = 0; i < Orders.Length; i++)
        {
            var (customer, products) = Orders[i];
            Assert.True(await graph.RecordPurchaseAsync($"evt-{i + 1}", OrderConfirmed, new Purchase($"order-{i + 1}", customer, products, Monday.AddHours(i)), default));
        }

        return (database, graph);
    }

    [Fact]
    public async Task bought_together_ranks_by_orders_holding_both()
    {
        var (database, graph) = await CoffeeShopAsync();
        await using var _ = database;

        // With espresso: beans in orders 1 and 2; grinder in 1; milk-jug in 3. Grinder and milk-jug tie at one order;
        // grinder entered the graph first (order 1).
        Assert.Equal(
            [new("beans", 2), new("grinder", 1), new("milk-jug", 1)],
            await graph.BoughtTogetherAsync("espresso", 10, default));

        // Descaler was in three orders, but with another product only in order 7.
        Assert.Equal([new Recommendation("milk-jug", 1)], await graph.BoughtTogetherAsync("descaler", 10, default));
    }

    [Fact]
    public async Task also_bought_ranks_by_distinct_customers_across_all_their_orders()
    {
        var (database, graph) = await CoffeeShopAsync();
        await using var _ = database;

        // Espresso buyers: alice, bob, carol. Beans: all three. Grinder: alice and carol (carol in another order than
        // her espresso). Milk-jug: carol. Descaler: alice only, though in two orders; counting purchases instead of
        // customers would rank it above grinder. Milk-jug and descaler tie at one customer; milk-jug entered first.
        // Dave and erin bought no espresso, so tamper does not appear; espresso itself is left out.
        Assert.Equal(
            [new("beans", 3), new("grinder", 2), new("milk-jug", 1), new("descaler", 1)],
            await graph.AlsoBoughtAsync("espresso", 10, default));

        Assert.Equal(
            [new("beans", 3), new("grinder", 2)],
            await graph.AlsoBoughtAsync("espresso", 2, default));
    }

    [Fact]
    public async Task also_bought_counts_only_the_latest_buyers_of_a_product_with_more_than_the_bound()
    {
        var (database, graph) = await CoffeeShopAsync(latestBuyers: 2);
        await using var _ = database;

        // Espresso's latest two buyers are carol (order 3) and bob (order 2); alice (order 1) no longer counts, and with
        // her the descaler. Beans: bob and carol; grinder and milk-jug: carol.
        Assert.Equal(
            [new("beans", 2), new("grinder", 1), new("milk-jug", 1)],
            await graph.AlsoBoughtAsync("espresso", 10, default));
    }

    [Fact]
    public async Task a_product_nobody_bought_has_no_recommendations()
    {
        var (database, graph) = await CoffeeShopAsync();
        await using var _ = database;

        Assert.Empty(await graph.BoughtTogetherAsync("teapot", 10, default));
        Assert.Empty(await graph.AlsoBoughtAsync("teapot", 10, default));
    }

    [Fact]
    public async Task an_event_recorded_twice_changes_the_graph_once()
    {
        await using var database = await GraphDatabase.CreateAsync(servers);
        var graph = new PostgresRecommendationGraph(database.DataSource);
        var purchase = new Purchase("order-1", "alice", ["kettle", "mug"], Monday);

        Assert.True(await graph.RecordPurchaseAsync("evt-1", OrderConfirmed, purchase, default));
        Assert.False(await graph.RecordPurchaseAsync("evt-1", OrderConfirmed, purchase, default));

        Assert.Equal([new Recommendation("mug", 1)], await graph.BoughtTogetherAsync("kettle", 10, default));
        Assert.Equal(2L, await database.ScalarAsync("SELECT sum(weight) FROM edges WHERE type = 'BOUGHT'"));
    }

    [Fact]
    public async Task a_failure_after_the_event_id_was_recorded_leaves_nothing_and_the_redelivery_does_the_work()
    {
        await using var database = await GraphDatabase.CreateAsync(servers);
        var graph = new PostgresRecommendationGraph(database.DataSource);
        var purchase = new Purchase("order-1", "alice", ["kettle", "mug"], Monday);

        // The edge increments, the last step of the transaction, fail as a crash or a lost connection would.
        await database.ExecuteAsync("""
            CREATE FUNCTION fail_edges() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk on fire'; END $$;
            CREATE TRIGGER fail_edges BEFORE INSERT ON edges FOR EACH ROW EXECUTE FUNCTION fail_edges();
            """);
        var failure = await Assert.ThrowsAsync<PostgresException>(() => graph.RecordPurchaseAsync("evt-1", OrderConfirmed, purchase, default));
        Assert.Equal("disk on fire", failure.MessageText);
        Assert.Equal(0L, await database.ScalarAsync("SELECT count(*) FROM processed_events"));
        Assert.Equal(0L, await database.ScalarAsync("SELECT count(*) FROM nodes"));

        await database.ExecuteAsync("DROP TRIGGER fail_edges ON edges");
        Assert.True(await graph.RecordPurchaseAsync("evt-1", OrderConfirmed, purchase, default));

        Assert.Equal([new Recommendation("mug", 1)], await graph.BoughtTogetherAsync("kettle", 10, default));
    }

    [Fact]
    public async Task concurrent_orders_sharing_new_products_lose_no_increment_and_do_not_deadlock()
    {
        await using var database = await GraphDatabase.CreateAsync(servers);
        var graph = new PostgresRecommendationGraph(database.DataSource);
        const int rounds = 3, orders = 20;

        for (var round = 0; round < rounds; round++)
        {
            // The shared products are new in each round, so the orders also race to create them. Ten customers with
            // two orders each also race on their own BOUGHT edges. Lines come in a different order in each order.
            string[] shared = [$"r{round}-a", $"r{round}-b", $"r{round}-c"];
            await Task.WhenAll(Enumerable.Range(0, orders).Select(i =>
            {
                string[] lines = [.. shared.Skip(i % 3), .. shared.Take(i % 3), $"r{round}-only-{i}"];
                var purchase = new Purchase($"r{round}-order-{i}", $"r{round}-customer-{i % 10}", i % 2 == 0 ? lines : Enumerable.Reverse(lines), Monday);
                return graph.RecordPurchaseAsync($"r{round}-evt-{i}", OrderConfirmed, purchase, default);
            }));

            var together = await graph.BoughtTogetherAsync($"r{round}-a", 100, default);
            Assert.Equal([new($"r{round}-b", orders), new($"r{round}-c", orders)], together.Take(2));
            Assert.Equal(orders, together.Skip(2).Count(r => r.Score == 1));
            Assert.Equal([new($"r{round}-b", 10), new($"r{round}-c", 10)], await graph.AlsoBoughtAsync($"r{round}-a", 2, default));
        }

        // Each order of four products: four BOUGHT increments and 4 * 3 BOUGHT_WITH increments.
        Assert.Equal(rounds * orders * 4L, await database.ScalarAsync("SELECT sum(weight) FROM edges WHERE type = 'BOUGHT'"));
        Assert.Equal(rounds * orders * 12L, await database.ScalarAsync("SELECT sum(weight) FROM edges WHERE type = 'BOUGHT_WITH'"));
        // Customer i % 10 placed orders i and i + 10: two orders holding each shared product.
        Assert.Equal(rounds * 10L * 3, await database.ScalarAsync(
            "SELECT count(*) FROM edges e JOIN nodes p ON p.id = e.to_id WHERE e.type = 'BOUGHT' AND p.key NOT LIKE '%-only-%' AND e.weight = 2"));
        Assert.Equal(rounds * (3L + orders), await database.ScalarAsync("SELECT count(*) FROM nodes WHERE label = 'Product'"));
    }

    [Fact]
    public async Task a_late_event_does_not_make_an_old_purchase_the_latest()
    {
        await using var database = await GraphDatabase.CreateAsync(servers);
        var graph = new PostgresRecommendationGraph(database.DataSource);

        await graph.RecordPurchaseAsync("evt-2", OrderConfirmed, new Purchase("order-2", "alice", ["kettle"], Monday.AddDays(1)), default);
        await graph.RecordPurchaseAsync("evt-1", OrderConfirmed, new Purchase("order-1", "alice", ["kettle"], Monday), default);

        await using var command = database.DataSource.CreateCommand("SELECT last_at, weight FROM edges WHERE type = 'BOUGHT'");
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(Monday.AddDays(1), reader.GetFieldValue<DateTimeOffset>(0));
        Assert.Equal(2L, reader.GetInt64(1));
    }
}
