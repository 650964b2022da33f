using System.Text.Json.Serialization;

namespace Orders.Domain;

[JsonConverter(typeof(JsonStringEnumConverter<OrderStatus>))]
public enum OrderStatus
{
    Pending,
    Confirmed,
    Cancelled,
}

/// <summary>A product as ordered, with the name and price the customer saw when checking out.</summary>
public sealed record OrderLine(string ProductId, string Sku, string Name, decimal UnitPrice, string Currency, int Quantity);

/// <summary>The customer's name and e-mail as copied from the customers service, and the version they were taken from.</summary>
public sealed record CustomerCopy(string Name, string Email, int Version);

public sealed record StatusChange(OrderStatus Status, string? Reason, DateTimeOffset At);

/// <summary>An order as stored and as the API shows it (the <c>Order</c> of docs/checkout-saga.md).</summary>
public sealed record Order(
    string OrderId,
    Guid CustomerId,
    CustomerCopy Customer,
    IReadOnlyList<OrderLine> Lines,
    decimal Total,
    string Currency,
    OrderStatus Status,
    string? CancellationReason,
    bool NeedsAttention,
    string? AttentionReason,
    IReadOnlyList<StatusChange> History);

/// <summary>The part of an order the state machine decides on: what the row locked FOR UPDATE holds.</summary>
public sealed record OrderState(
    string OrderId,
    Guid CustomerId,
    OrderStatus Status,
    string? CancellationReason,
    bool NeedsAttention,
    string? AttentionReason);
