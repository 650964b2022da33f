using Cart.Domain;

namespace Cart.Infrastructure;

/// <summary>
/// A cart as stored under <see cref="StateKeys.Cart"/>. The expiry travels with the cart because stores disagree on
/// what a save without <c>ttlInSeconds</c> does to an existing expiry (state.redis keeps it, state.postgresql drops
/// it), and a reprice must keep the customer's expiry rather than extend or remove it.
/// </summary>
/// <param name="ProcessedEventIds">The latest catalog events applied to this cart, newest last.</param>
public sealed record CartDocument(ShoppingCart Cart, DateTimeOffset ExpiresAt, IReadOnlyList<string> ProcessedEventIds)
{
    /// <summary>
    /// Redeliveries come within minutes, long before a cart sees this many other events; an event older than that is
    /// still recognised by its product version.
    /// </summary>
    public const int ProcessedEventWindow = 32;

    public bool HasProcessed(string eventId) => ProcessedEventIds.Contains(eventId, StringComparer.Ordinal);

    public CartDocument WithProcessed(string eventId) => this with
    {
        ProcessedEventIds = [.. ProcessedEventIds.TakeLast(ProcessedEventWindow - 1), eventId],
    };
}

/// <summary>
/// Which customers' carts may hold a product, stored under <see cref="StateKeys.ProductCarts"/>, with when each was
/// last added. It may name more carts than hold the product (removed lines, expired carts), never fewer.
/// </summary>
public sealed record ProductCarts(string ProductId, IReadOnlyDictionary<string, DateTimeOffset> Customers);
