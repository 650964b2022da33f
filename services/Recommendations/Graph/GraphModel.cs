namespace Recommendations.Graph;

public enum NodeLabel
{
    Product,
    Customer,
}

public enum EdgeType
{
    /// <summary>Customer → Product.</summary>
    Bought,

    /// <summary>Product → Product, both directions.</summary>
    BoughtWith,
}

/// <summary>A node is known by its label and the id the rest of the system gives it (product id, customer id).</summary>
public readonly record struct NodeKey(NodeLabel Label, string Key)
{
    public static NodeKey Product(string productId) => new(NodeLabel.Product, productId);

    public static NodeKey Customer(string customerId) => new(NodeLabel.Customer, customerId);
}

/// <summary>Adds one to the weight of an edge, creating the edge with weight one when it is missing.</summary>
public readonly record struct EdgeIncrement(EdgeType Type, NodeKey From, NodeKey To);

/// <summary>The nodes a change needs to exist, the edges it increments, and when it happened.</summary>
public sealed record GraphChange(IReadOnlyList<NodeKey> Nodes, IReadOnlyList<EdgeIncrement> Edges, DateTimeOffset At);

/// <param name="ProductId">The recommended product.</param>
/// <param name="Score">For "bought together", the number of orders that held both products; for "also bought", the
/// number of distinct customers (of the product's latest buyers) who bought both.</param>
public sealed record Recommendation(string ProductId, long Score);
