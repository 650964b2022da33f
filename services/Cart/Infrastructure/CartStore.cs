using Cart.Domain;
using Dapr.Client;
using Microsoft.Extensions.Options;

namespace Cart.Infrastructure;

/// <summary>What became of a customer's change to their cart.</summary>
public abstract record CartUpdate
{
    private CartUpdate()
    {
    }

    public sealed record Saved(ShoppingCart Cart, DateTimeOffset ExpiresAt) : CartUpdate;

    /// <summary>The cart said no (<see cref="CartChange.Refused"/> or <see cref="CartChange.NoSuchLine"/>); nothing was written.</summary>
    public sealed record Rejected(CartChange Reason) : CartUpdate;

    /// <summary>Others changed the cart (or a product's index) before every attempt; nothing of this change was written.</summary>
    public sealed record Contended : CartUpdate;
}

public enum RepriceOutcome
{
    Repriced,
    /// <summary>The cart already has this revision or a newer one.</summary>
    AlreadyCurrent,
    /// <summary>This event id is recorded in the cart: a redelivery.</summary>
    AlreadyProcessed,
    /// <summary>The cart is gone or no longer holds the product.</summary>
    NotHeld,
    Contended,
}

/// <summary>
/// Carts in the Dapr state store, one key per customer. Every change is read, decide, write-if-unchanged: the etag
/// read with the cart must still match when it is written, otherwise the change is decided again on the newer cart.
/// That is how two concurrent adds both land.
/// </summary>
public sealed class CartStore(DaprClient dapr, ProductCartIndex index, IOptions<CartOptions> options, TimeProvider time, ILogger<CartStore> logger)
{
    private readonly OptimisticState _state = new(dapr, options.Value.StoreName);
    private readonly CartOptions _options = options.Value;

    public async Task<CartDocument?> GetAsync(string customerId, CancellationToken ct) =>
        (await _state.ReadAsync<CartDocument>(StateKeys.Cart(customerId), ct)).Value;

    /// <summary>
    /// Applies a customer's operation and refreshes the cart's time to live. The operation runs once per attempt on
    /// the cart as just read (an empty one if there is none), so it must be a pure function of that cart.
    /// </summary>
    public async Task<CartUpdate> UpdateAsync(string customerId, Func<ShoppingCart, CartChange> operation, CancellationToken ct)
    {
        var indexed = new HashSet<string>(StringComparer.Ordinal);
        for (var attempt = 1; ; attempt++)
        {
            var read = await _state.ReadAsync<CartDocument>(StateKeys.Cart(customerId), ct);
            var current = read.Value?.Cart ?? ShoppingCart.Empty(customerId);

            switch (operation(current))
            {
                case CartChange.Changed { Cart: var changed }:
                    // Index first: a crash between the two writes leaves the index naming one cart too many, never too few.
                    foreach (var productId in NewProducts(current, changed).Where(indexed.Add))
                    {
                        if (!await index.RecordAsync(productId, customerId, ct))
                        {
                            return new CartUpdate.Contended();
                        }
                    }

                    var expiresAt = time.GetUtcNow() + _options.TimeToLive;
                    var document = new CartDocument(changed, expiresAt, read.Value?.ProcessedEventIds ?? []);
                    if (await _state.TryWriteAsync(read, document, _options.TimeToLive, ct))
                    {
                        return new CartUpdate.Saved(changed, expiresAt);
                    }

                    break;
                case CartChange.Unchanged { Cart: var unchanged }:
                    return new CartUpdate.Saved(unchanged, read.Value?.ExpiresAt ?? time.GetUtcNow());
                case var refusal:
                    return new CartUpdate.Rejected(refusal);
            }

            if (attempt >= _options.MaxWriteAttempts)
            {
                logger.LogWarning("Gave up changing the cart of {CustomerId} after {Attempts} lost etag races", customerId, attempt);
                return new CartUpdate.Contended();
            }

            await Contention.BackOffAsync(attempt, time, ct);
        }
    }

    public Task DeleteAsync(string customerId, CancellationToken ct) => _state.DeleteAsync(StateKeys.Cart(customerId), ct);

    /// <summary>
    /// Applies a catalog event to one cart. Idempotent, because the event id is recorded in the same document as the
    /// new price and both are saved in one etag-checked write, which every store applies entirely or not at all: a
    /// redelivery finds its id and changes nothing, and a write that lost a race saved neither. An event too old to be
    /// in <see cref="CartDocument.ProcessedEventIds"/> any more carries a product version the line already has.
    /// </summary>
    public async Task<RepriceOutcome> RepriceAsync(string customerId, ProductRevision product, string eventId, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            var read = await _state.ReadAsync<CartDocument>(StateKeys.Cart(customerId), ct);
            if (read.Value is not { } document || !document.Cart.Holds(product.ProductId))
            {
                return RepriceOutcome.NotHeld;
            }

            if (document.HasProcessed(eventId))
            {
                return RepriceOutcome.AlreadyProcessed;
            }

            if (document.Cart.Reprice(product) is not CartChange.Changed { Cart: var repriced })
            {
                return RepriceOutcome.AlreadyCurrent;
            }

            // A reprice is not the customer's doing, so the cart keeps the expiry the customer's last change gave it.
            var remaining = document.ExpiresAt - time.GetUtcNow();
            if (remaining <= TimeSpan.Zero)
            {
                return RepriceOutcome.NotHeld;
            }

            var updated = document.WithProcessed(eventId) with { Cart = repriced };
            if (await _state.TryWriteAsync(read, updated, remaining, ct))
            {
                return RepriceOutcome.Repriced;
            }

            if (attempt >= _options.MaxWriteAttempts)
            {
                logger.LogWarning("Gave up repricing the cart of {CustomerId} for event {EventId} after {Attempts} lost etag races", customerId, eventId, attempt);
                return RepriceOutcome.Contended;
            }

            await Contention.BackOffAsync(attempt, time, ct);
        }
    }

    private static IEnumerable<string> NewProducts(ShoppingCart before, ShoppingCart after) =>
        after.Lines.Select(line => line.ProductId).Where(productId => !before.Holds(productId));
}
