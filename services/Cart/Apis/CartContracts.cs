using System.ComponentModel.DataAnnotations;
using Cart.Domain;
using Cart.Infrastructure;

namespace Cart.Apis;

/// <summary>A product to put in the cart, with the name and price the customer saw in the catalog.</summary>
public sealed record AddItemRequest(
    [Required, RegularExpression(Ids.Pattern, ErrorMessage = "ProductId " + Ids.Message)] string ProductId,
    [Required, StringLength(64)] string Sku,
    [Required, StringLength(200)] string Name,
    [Required, Range(0d, 1_000_000_000d)] decimal? UnitPrice,
    [Required, RegularExpression("^[A-Z]{3}$", ErrorMessage = "Currency must be an ISO 4217 code such as EUR.")] string Currency,
    [Range(1, ShoppingCart.MaxQuantity)] int Quantity)
{
    public CartLine ToLine() => new(ProductId, Sku, Name, UnitPrice!.Value, Currency, Quantity);
}

/// <summary>The body of <c>POST /carts/{customerId}/checkout</c>: the id the caller chose, so that a retried checkout is the same order.</summary>
public sealed record CheckoutRequest([Required, RegularExpression(Ids.Pattern, ErrorMessage = "OrderId " + Ids.Message)] string? OrderId);

public sealed record ChangeQuantityRequest([Range(1, ShoppingCart.MaxQuantity)] int Quantity);

public sealed record CartResponse(string CustomerId, IReadOnlyList<CartLineResponse> Lines, IReadOnlyList<Money> Totals, DateTimeOffset ExpiresAt)
{
    public static CartResponse From(ShoppingCart cart, DateTimeOffset expiresAt) => new(
        cart.CustomerId,
        cart.Lines.Select(line => new CartLineResponse(line.ProductId, line.Sku, line.Name, line.UnitPrice, line.Currency, line.Quantity, line.Total())).ToList(),
        cart.Totals(),
        expiresAt);

    public static CartResponse From(CartDocument document) => From(document.Cart, document.ExpiresAt);
}

public sealed record CartLineResponse(string ProductId, string Sku, string Name, decimal UnitPrice, string Currency, int Quantity, decimal LineTotal);
