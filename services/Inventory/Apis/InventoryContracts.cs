using System.ComponentModel.DataAnnotations;
using Inventory.Domain;

namespace Inventory.Apis;

/// <summary>The body of <c>PUT /stock/{sku}</c>: what is on hand now (a count, not a delta).</summary>
public sealed record SetStockRequest([Required, Range(0, Limits.MaxOnHand)] int? OnHand);

/// <summary>The body of <c>POST /reservations/{orderId}</c>.</summary>
/// <remarks>
/// A list, not an array: .NET 10's validation generator descends into generic collections but not into arrays, so with
/// an array the lines' own attributes would never be checked.
/// </remarks>
public sealed record ReserveRequest(
    [Required, MinLength(1), MaxLength(Limits.MaxLines)] IReadOnlyList<ReservationLineRequest>? Lines);

public sealed record ReservationLineRequest(
    [Required, RegularExpression(Identifiers.SkuPattern, ErrorMessage = "Sku " + Identifiers.SkuMessage)] string? Sku,
    [Range(1, Limits.MaxQuantity)] int Quantity);

/// <summary>The business refusals of this API, as the problem details' <c>code</c> extension (docs/checkout-saga.md).</summary>
public static class ProblemCodes
{
    public const string OutOfStock = "out-of-stock";
    public const string ReservationReleased = "reservation-released";
    public const string BelowReserved = "below-reserved";
}
