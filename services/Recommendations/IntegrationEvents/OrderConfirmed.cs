using System.ComponentModel.DataAnnotations;
using Recommendations.Graph;

namespace Recommendations.IntegrationEvents;

/// <summary>
/// The data of an <c>order.confirmed.v1</c> CloudEvent on topic <c>orders</c>, as the orders service publishes it:
/// <c>{ "orderId": "...", "customerId": "...", "lines": [{ "productId": "...", "sku": "...", "quantity": 2 }], "confirmedAt": "..." }</c>.
/// Only what recommendations needs is required; unknown fields are ignored so the producer can add some in v1.
/// </summary>
public sealed record OrderConfirmed(
    [Required] string OrderId,
    [Required] string CustomerId,
    [Required, MinLength(1)] IReadOnlyList<OrderConfirmedLine> Lines,
    [Required] DateTimeOffset? ConfirmedAt)
{
    public const string Type = "order.confirmed.v1";

    /// <summary>Call after validation, which guarantees the required members.</summary>
    public Purchase ToPurchase() => new(OrderId, CustomerId, Lines.Select(line => line.ProductId), ConfirmedAt!.Value);
}

public sealed record OrderConfirmedLine(
    [Required] string ProductId,
    string? Sku,
    [Range(1, int.MaxValue)] int Quantity);
