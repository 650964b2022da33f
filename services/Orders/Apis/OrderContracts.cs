using System.ComponentModel.DataAnnotations;
using Orders.Domain;

namespace Orders.Apis;

/// <summary>The body of <c>POST /orders</c>: the cart's lines, as the customer saw them.</summary>
/// <remarks>
/// The limits match the tables' CHECK constraints, so a request that passes here is never refused by the database.
/// <see cref="CustomerId"/> is text so that an id that is not a customer's (a UUID) gets a 400 naming it, rather than
/// a JSON binding error naming nothing.
/// </remarks>
public sealed record CheckoutRequest(
    [property: Required, RegularExpression(OrderIds.Pattern, ErrorMessage = "OrderId " + OrderIds.Message)] string? OrderId,
    [property: Required] string? CustomerId,
    [property: Required, MinLength(1, ErrorMessage = "Lines must hold at least one line."), MaxLength(OrderLimits.MaxLines)] IReadOnlyList<CheckoutLine>? Lines);

public sealed record CheckoutLine(
    [property: Required, StringLength(128, MinimumLength = 1)] string? ProductId,
    [property: Required, StringLength(64, MinimumLength = 1)] string? Sku,
    [property: Required, StringLength(200, MinimumLength = 1)] string? Name,
    [property: Required, Range(0d, 1_000_000_000d)] decimal? UnitPrice,
    [property: Required, RegularExpression("^[A-Z]{3}$", ErrorMessage = "Currency must be an ISO 4217 code such as EUR.")] string? Currency,
    [property: Range(1, OrderLimits.MaxQuantity)] int Quantity)
{
    /// <summary>Expects a line that passed validation.</summary>
    public OrderLine ToLine() => new(ProductId!, Sku!, Name!, UnitPrice!.Value, Currency!, Quantity);
}

/// <summary>The body of <c>/cancel</c> and <c>/attention</c>: why, for the people who read the order later.</summary>
public sealed record ReasonRequest([property: Required, StringLength(500, MinimumLength = 1)] string? Reason);

public static class OrderIds
{
    /// <summary>Order ids end up in URLs, workflow instance ids and CloudEvent subjects: no '/', no whitespace.</summary>
    public const string Pattern = "^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$";

    public const string Message = "must be 1-128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit.";
}

public static class OrderLimits
{
    public const int MaxLines = 100;
    public const int MaxQuantity = 999;
}
