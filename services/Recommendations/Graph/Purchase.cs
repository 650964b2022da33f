namespace Recommendations.Graph;

/// <summary>
/// One confirmed order as the graph sees it: a customer and the distinct products the order held. Quantities and
/// SKUs do not count: ten cables in one order are one sign that cables go with this order's other products, not ten.
/// </summary>
public sealed class Purchase
{
    public Purchase(string orderId, string customerId, IEnumerable<string> productIds, DateTimeOffset confirmedAt)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(orderId);
        ArgumentException.ThrowIfNullOrWhiteSpace(customerId);
        ArgumentNullException.ThrowIfNull(productIds);

        // Two lines of the same product (two sizes, say) are still one product bought once in this order.
        var distinct = productIds.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (distinct.Length == 0)
        {
            throw new ArgumentException("a purchase holds at least one product", nameof(productIds));
        }

        if (distinct.Any(string.IsNullOrWhiteSpace))
        {
            throw new ArgumentException("a product id must not be empty", nameof(productIds));
        }

        OrderId = orderId;
        CustomerId = customerId;
        ProductIds = distinct;
        ConfirmedAt = confirmedAt;
    }

    public string OrderId { get; }

    public string CustomerId { get; }

    /// <summary>Distinct, in ordinal order.</summary>
    public IReadOnlyList<string> ProductIds { get; }

    public DateTimeOffset ConfirmedAt { get; }

    /// <summary>What this purchase adds to the graph: one BOUGHT per product and one BOUGHT_WITH per ordered pair.</summary>
    public GraphChange ToGraphChange()
    {
        var customer = NodeKey.Customer(CustomerId);
        var products = ProductIds.Select(NodeKey.Product).ToArray();

        var edges = new List<EdgeIncrement>(products.Length * products.Length);
        foreach (var product in products)
        {
            edges.Add(new EdgeIncrement(EdgeType.Bought, customer, product));
        }

        // Both directions: a product's neighbours are then its outgoing edges alone. n products give n(n-1) rows;
        // an order of 10 products writes 90, which is cheap next to what the read side saves.
        foreach (var from in products)
        {
            foreach (var to in products)
            {
                if (from != to)
                {
                    edges.Add(new EdgeIncrement(EdgeType.BoughtWith, from, to));
                }
            }
        }

        return new GraphChange([customer, .. products], edges, ConfirmedAt);
    }
}
