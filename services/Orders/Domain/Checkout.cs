namespace Orders.Domain;

/// <summary>What the order-workflow app receives to start the saga (<c>OrderSagaInput</c> in docs/checkout-saga.md).</summary>
public sealed record OrderSagaInput(
    string OrderId,
    Guid CustomerId,
    string PaymentAccountId,
    IReadOnlyList<OrderSagaLine> Lines,
    decimal Total,
    string Currency);

public sealed record OrderSagaLine(string ProductId, string Sku, int Quantity, decimal UnitPrice);

/// <summary>The price of a checkout: one total in the order's one currency, or the currencies that were mixed.</summary>
public abstract record Pricing
{
    private Pricing()
    {
    }

    public sealed record Priced(decimal Total, string Currency) : Pricing;

    /// <summary>Payments holds one currency per account and the saga authorizes one amount, so an order has one currency.</summary>
    public sealed record MixedCurrencies(IReadOnlyList<string> Currencies) : Pricing;
}

/// <summary>Checkout decisions without I/O: pricing, the new order, the saga's input, and telling a repeat from a clash.</summary>
public static class Checkout
{
    public const string UnknownCustomer = "unknown-customer";
    public const string MixedCurrenciesCode = "mixed-currencies";
    public const string OrderIdInUse = "order-id-in-use";

    public static Pricing Price(IReadOnlyList<OrderLine> lines)
    {
        ArgumentOutOfRangeException.ThrowIfZero(lines.Count);
        var currencies = lines.Select(line => line.Currency).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return currencies.Count == 1
            ? new Pricing.Priced(lines.Sum(line => line.UnitPrice * line.Quantity), currencies[0])
            : new Pricing.MixedCurrencies(currencies);
    }

    public static Order NewOrder(string orderId, Guid customerId, CustomerCopy customer, IReadOnlyList<OrderLine> lines, Pricing.Priced price, DateTimeOffset now) => new(
        orderId,
        customerId,
        customer,
        lines,
        price.Total,
        price.Currency,
        OrderStatus.Pending,
        CancellationReason: null,
        NeedsAttention: false,
        AttentionReason: null,
        History: [new StatusChange(OrderStatus.Pending, Reason: null, now)]);

    /// <summary>The customer pays from the account that carries their id (docs/checkout-saga.md, payments).</summary>
    public static OrderSagaInput SagaInput(Order order) => new(
        order.OrderId,
        order.CustomerId,
        order.CustomerId.ToString(),
        order.Lines.Select(line => new OrderSagaLine(line.ProductId, line.Sku, line.Quantity, line.UnitPrice)).ToList(),
        order.Total,
        order.Currency);

    /// <summary>
    /// A checkout repeated with the same order id is the same checkout only if it asks for exactly what the order holds
    /// (same customer, same lines in the same order); anything else reuses an id for a different order.
    /// </summary>
    public static bool IsRepeatOf(Order existing, Guid customerId, IReadOnlyList<OrderLine> lines) =>
        existing.CustomerId == customerId && existing.Lines.SequenceEqual(lines);
}
