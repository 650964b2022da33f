using Npgsql;
using NpgsqlTypes;
using Persistence;

namespace Recommendations.Graph;

/// <summary>
/// The graph as two tables, <c>nodes</c> and <c>edges</c> (Migrations/0001_create_graph.sql).
/// <para>
/// Reads are explicit joins, not recursive CTEs. The depth is fixed (one hop for "bought together", two for "also
/// bought"), and as joins the planner sees each hop: it walks each on its own index, aggregates candidates by node id
/// and looks up only the keys of the top N. A recursive CTE is for a depth known only at run time; here it would make
/// one working table of both hops, whose join condition differs by depth, so no single index serves it.
/// </para>
/// <para>
/// Both reads rank by score and then by node id (the order products entered the graph), not by product key: the
/// top N are then decided on the edge indexes alone, before any node is read, which keeps a popular product as cheap
/// as a rare one. Measurements on a 1M-edge graph: services/Recommendations/README.md.
/// </para>
/// <para>
/// Writes are one transaction per purchase whose locks are always taken in the same global order: the event id
/// (unique to the transaction), then new nodes by (label, key), then edges by (type, from_id, to_id). Two orders that
/// share products therefore wait for each other instead of deadlocking, and each weight is incremented by
/// <c>INSERT … ON CONFLICT DO UPDATE SET weight = weight + 1</c>, which re-reads the row it locks, so no increment is
/// lost under READ COMMITTED.
/// </para>
/// </summary>
/// <param name="latestBuyers">
/// How many of a product's buyers, latest first, "also bought" counts. Bounds the second hop: a product bought by
/// 5,000 customers would otherwise mean reading the tens of thousands of products those customers bought.
/// </param>
public sealed class PostgresRecommendationGraph(NpgsqlDataSource dataSource, int latestBuyers = PostgresRecommendationGraph.DefaultLatestBuyers)
    : IRecommendationGraph
{
    public const int DefaultLatestBuyers = 500;

    private readonly int _latestBuyers = latestBuyers > 0
        ? latestBuyers
        : throw new ArgumentOutOfRangeException(nameof(latestBuyers), latestBuyers, "at least one buyer must count");

    public async Task<bool> RecordPurchaseAsync(string eventId, string eventType, Purchase purchase, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(eventId);
        ArgumentException.ThrowIfNullOrWhiteSpace(eventType);
        ArgumentNullException.ThrowIfNull(purchase);

        var change = purchase.ToGraphChange();
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);

        if (!await ProcessedEvents.TryRecordAsync(connection, transaction, eventId, eventType, ct))
        {
            // Nothing was written; disposing the transaction rolls back the empty attempt.
            return false;
        }

        var ids = await EnsureNodesAsync(connection, transaction, change.Nodes, ct);
        await IncrementEdgesAsync(connection, transaction, change, ids, ct);
        await transaction.CommitAsync(ct);
        return true;
    }

    public async Task<IReadOnlyList<Recommendation>> BoughtTogetherAsync(string productId, int limit, CancellationToken ct)
    {
        // The LIMIT sits on the index scan of edges_bought_with_strongest, whose order is the ORDER BY: the scan stops
        // after `limit` entries however many neighbours the product has, and only those are joined to their keys.
        const string sql = """
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
        return await QueryAsync(sql, [Text(productId), Integer(limit)], limit, ct);
    }

    public async Task<IReadOnlyList<Recommendation>> AlsoBoughtAsync(string productId, int limit, CancellationToken ct)
    {
        // Hop 1 reads the product's latest buyers off edges_bought_latest_buyers, hop 2 what each of them bought off
        // edges_bought_by_customer; both index-only. count(*) counts distinct customers because a (customer, product) BOUGHT
        // edge is unique: a customer who bought the other product in three orders has one edge of weight 3.
        const string sql = """
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
        return await QueryAsync(sql, [Text(productId), Integer(limit), Integer(_latestBuyers)], limit, ct);
    }

    private async Task<IReadOnlyList<Recommendation>> QueryAsync(string sql, NpgsqlParameter[] parameters, int limit, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);

        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.AddRange(parameters);
        await using var reader = await command.ExecuteReaderAsync(ct);

        var recommendations = new List<Recommendation>(limit);
        while (await reader.ReadAsync(ct))
        {
            recommendations.Add(new Recommendation(reader.GetString(0), reader.GetInt64(1)));
        }

        return recommendations;
    }

    private static async Task<Dictionary<NodeKey, long>> EnsureNodesAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<NodeKey> nodes, CancellationToken ct)
    {
        var labels = nodes.Select(n => Label(n.Label)).ToArray();
        var keys = nodes.Select(n => n.Key).ToArray();

        // Only nodes that look missing are inserted, so the common case (every product known) takes no row lock and
        // burns no identity values. Two orders inserting the same new product: the second waits on the first's
        // unique-index entry and then does nothing; sorted, so neither ends up waiting on the other in turn.
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO nodes (label, key)
            SELECT wanted.label, wanted.key
            FROM unnest($1::text[], $2::text[]) AS wanted (label, key)
            WHERE NOT EXISTS (SELECT FROM nodes n WHERE n.label = wanted.label AND n.key = wanted.key)
            ORDER BY wanted.label, wanted.key
            ON CONFLICT (label, key) DO NOTHING
            """, connection, transaction)
        {
            Parameters = { TextArray(labels), TextArray(keys) },
        })
        {
            await insert.ExecuteNonQueryAsync(ct);
        }

        // A statement of its own: under READ COMMITTED it sees the nodes that other transactions committed while the
        // insert above waited for them, which neither the insert's snapshot nor its RETURNING would show.
        await using var select = new NpgsqlCommand("""
            SELECT n.id, n.label, n.key
            FROM unnest($1::text[], $2::text[]) AS wanted (label, key)
            JOIN nodes n ON n.label = wanted.label AND n.key = wanted.key
            """, connection, transaction)
        {
            Parameters = { TextArray(labels), TextArray(keys) },
        };

        var ids = new Dictionary<NodeKey, long>(nodes.Count);
        await using (var reader = await select.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                ids[new NodeKey(ParseLabel(reader.GetString(1)), reader.GetString(2))] = reader.GetInt64(0);
            }
        }

        if (ids.Count != nodes.Count)
        {
            throw new InvalidOperationException($"{nodes.Count - ids.Count} node(s) of the purchase are missing after they were inserted");
        }

        return ids;
    }

    private static async Task IncrementEdgesAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, GraphChange change, IReadOnlyDictionary<NodeKey, long> ids, CancellationToken ct)
    {
        // One statement for every edge of the purchase. INSERT … SELECT … ORDER BY inserts (and so locks) rows in that
        // order, the same for every transaction: the lock order that keeps concurrent orders from deadlocking.
        // GREATEST: events may arrive out of order, and last_at is the latest order's time, not the latest delivery's.
        await using var command = new NpgsqlCommand("""
            INSERT INTO edges AS e (type, from_id, to_id, weight, last_at)
            SELECT increment.type, increment.from_id, increment.to_id, 1, $4
            FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS increment (type, from_id, to_id)
            ORDER BY increment.type, increment.from_id, increment.to_id
            ON CONFLICT (type, from_id, to_id)
            DO UPDATE SET weight = e.weight + excluded.weight, last_at = GREATEST(e.last_at, excluded.last_at)
            """, connection, transaction)
        {
            Parameters =
            {
                TextArray(change.Edges.Select(e => Type(e.Type)).ToArray()),
                BigintArray(change.Edges.Select(e => ids[e.From]).ToArray()),
                BigintArray(change.Edges.Select(e => ids[e.To]).ToArray()),
                new NpgsqlParameter<DateTimeOffset> { TypedValue = change.At, NpgsqlDbType = NpgsqlDbType.TimestampTz },
            },
        };
        await command.ExecuteNonQueryAsync(ct);
    }

    private static NpgsqlParameter<string> Text(string value) => new() { TypedValue = value };

    private static NpgsqlParameter<int> Integer(int value) => new() { TypedValue = value };

    private static NpgsqlParameter<string[]> TextArray(string[] values) =>
        new() { TypedValue = values, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };

    private static NpgsqlParameter<long[]> BigintArray(long[] values) =>
        new() { TypedValue = values, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint };

    /// <summary>The names stored in the database, and what a Neo4j implementation would call them.</summary>
    private static string Label(NodeLabel label) => label switch
    {
        NodeLabel.Product => "Product",
        NodeLabel.Customer => "Customer",
        _ => throw new ArgumentOutOfRangeException(nameof(label), label, null),
    };

    private static NodeLabel ParseLabel(string label) => label switch
    {
        "Product" => NodeLabel.Product,
        "Customer" => NodeLabel.Customer,
        _ => throw new InvalidOperationException($"unknown node label '{label}'"),
    };

    private static string Type(EdgeType type) => type switch
    {
        EdgeType.Bought => "BOUGHT",
        EdgeType.BoughtWith => "BOUGHT_WITH",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };
}
