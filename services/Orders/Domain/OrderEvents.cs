namespace Orders.Domain;

/// <summary>An event for topic <c>orders</c>: its CloudEvent type and its data.</summary>
public sealed record OrderEvent(string Type, object Data);

/// <summary>
/// The data of <c>order.confirmed.v1</c> (what recommendations' OrderConfirmed reads: orderId, customerId, lines with
/// productId and quantity, confirmedAt).
/// </summary>
public sealed record OrderConfirmedData(
    string OrderId,
    Guid CustomerId,
    IReadOnlyList<OrderConfirmedLine> Lines,
    decimal Total,
    string Currency,
    DateTimeOffset ConfirmedAt);

public sealed record OrderConfirmedLine(string ProductId, string Sku, int Quantity);

public sealed record OrderCancelledData(string OrderId, Guid CustomerId, string Reason, DateTimeOffset CancelledAt);

public static class OrderEvents
{
    public const string ConfirmedType = "order.confirmed.v1";
    public const string CancelledType = "order.cancelled.v1";

    public static OrderEvent Confirmed(Order order, DateTimeOffset at) => new(ConfirmedType, new OrderConfirmedData(
        order.OrderId,
        order.CustomerId,
        order.Lines.Select(line => new OrderConfirmedLine(line.ProductId, line.Sku, line.Quantity)).ToList(),
        order.Total,
        order.Currency,
        at));

    public static OrderEvent Cancelled(Order order, string reason, DateTimeOffset at) =>
        new(CancelledType, new OrderCancelledData(order.OrderId, order.CustomerId, reason, at));
}
