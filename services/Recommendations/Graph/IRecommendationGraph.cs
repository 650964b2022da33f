namespace Recommendations.Graph;

/// <summary>
/// The co-purchase graph: (Customer)-[:BOUGHT]->(Product) and (Product)-[:BOUGHT_WITH]-(Product), both weighted.
/// Implemented on PostgreSQL (<see cref="PostgresRecommendationGraph"/>); the operations are phrased so that a graph
/// database could implement them too. In Neo4j, for instance (a sketch; no such implementation exists):
/// <code>
/// // RecordPurchaseAsync, one write transaction; a uniqueness constraint on ProcessedEvent.id turns a redelivery
/// // into a constraint violation, which is read as "already processed" and rolled back.
/// CREATE (:ProcessedEvent {id: $eventId, type: $eventType})
/// MERGE (c:Customer {key: $customerId})
/// WITH c UNWIND $productIds AS productId
/// MERGE (p:Product {key: productId})
/// MERGE (c)-[b:BOUGHT]->(p) ON CREATE SET b.weight = 1, b.lastAt = $confirmedAt
///                          ON MATCH SET b.weight = b.weight + 1, b.lastAt = CASE WHEN b.lastAt &lt; $confirmedAt THEN $confirmedAt ELSE b.lastAt END
/// WITH collect(p) AS products
/// UNWIND products AS a UNWIND products AS b
/// WITH a, b WHERE a.key &lt; b.key                       // one relationship per pair: traversal ignores direction
/// MERGE (a)-[w:BOUGHT_WITH]-(b) ON CREATE SET w.weight = 1 ON MATCH SET w.weight = w.weight + 1
///
/// // BoughtTogetherAsync
/// MATCH (:Product {key: $productId})-[w:BOUGHT_WITH]-(other:Product)
/// RETURN other.key, w.weight AS score ORDER BY score DESC, other.key LIMIT $limit
///
/// // AlsoBoughtAsync
/// MATCH (p:Product {key: $productId})&lt;-[b:BOUGHT]-(c:Customer)
/// WITH p, c ORDER BY b.lastAt DESC LIMIT $latestBuyers
/// MATCH (c)-[:BOUGHT]->(other:Product) WHERE other &lt;&gt; p
/// RETURN other.key, count(DISTINCT c) AS score ORDER BY score DESC, other.key LIMIT $limit
/// </code>
/// Neo4j takes its locks on the nodes a MERGE touches, so the same rule applies there as here: touch products in one
/// global order, and let the driver's managed transactions retry the transient deadlocks that remain.
/// </summary>
public interface IRecommendationGraph
{
    /// <summary>
    /// Adds a purchase to the graph, exactly once per <paramref name="eventId"/>: the id is recorded in the same
    /// transaction as the weights, so a redelivered event changes nothing and a crash before the commit leaves nothing.
    /// </summary>
    /// <returns>False when <paramref name="eventId"/> was recorded before and nothing changed.</returns>
    Task<bool> RecordPurchaseAsync(string eventId, string eventType, Purchase purchase, CancellationToken ct);

    /// <summary>
    /// Products most often in the same order as <paramref name="productId"/>, by number of orders; equal scores in an
    /// order that does not change between calls (on PostgreSQL: the product that entered the graph first ranks first).
    /// Empty for a product nobody has bought.
    /// </summary>
    Task<IReadOnlyList<Recommendation>> BoughtTogetherAsync(string productId, int limit, CancellationToken ct);

    /// <summary>
    /// "Customers who bought this also bought": products bought (in any order, not only the same one) by the latest
    /// buyers of <paramref name="productId"/>, by number of distinct customers, the product itself excluded; ties as
    /// in <see cref="BoughtTogetherAsync"/>. How many buyers count is the implementation's bound on the work a popular
    /// product can cause; every buyer counts while a product has fewer.
    /// </summary>
    Task<IReadOnlyList<Recommendation>> AlsoBoughtAsync(string productId, int limit, CancellationToken ct);
}
