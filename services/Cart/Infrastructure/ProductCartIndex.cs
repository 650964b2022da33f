using Dapr.Client;
using Microsoft.Extensions.Options;

namespace Cart.Infrastructure;

/// <summary>
/// Finds the carts a product event concerns. State stores offer no query that works on every store type, so each
/// product keeps its own document listing customers; it is written before the cart, which makes it a superset of the
/// carts holding the product, and entries are dropped only by <see cref="ForgetAsync"/> after a grace period.
/// </summary>
public sealed class ProductCartIndex(DaprClient dapr, IOptions<CartOptions> options, TimeProvider time, ILogger<ProductCartIndex> logger)
{
    private readonly OptimisticState _state = new(dapr, options.Value.StoreName);
    private readonly CartOptions _options = options.Value;

    public async Task<IReadOnlyCollection<string>> CustomersAsync(string productId, CancellationToken ct)
    {
        var read = await _state.ReadAsync<ProductCarts>(StateKeys.ProductCarts(productId), ct);
        return read.Value?.Customers.Keys.ToList() ?? [];
    }

    /// <summary>
    /// Records that the customer is adding the product, stamped now; always written, so that a concurrent
    /// <see cref="ForgetAsync"/> that read the index before this either sees a fresh stamp or loses the etag race.
    /// </summary>
    /// <returns>False when others kept changing the same product's index for every attempt.</returns>
    public async Task<bool> RecordAsync(string productId, string customerId, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            var read = await _state.ReadAsync<ProductCarts>(StateKeys.ProductCarts(productId), ct);
            var customers = new Dictionary<string, DateTimeOffset>(read.Value?.Customers ?? new Dictionary<string, DateTimeOffset>())
            {
                [customerId] = time.GetUtcNow(),
            };
            if (await _state.TryWriteAsync(read, new ProductCarts(productId, customers), timeToLive: null, ct))
            {
                return true;
            }

            if (attempt >= _options.MaxWriteAttempts)
            {
                logger.LogWarning("Gave up recording customer {CustomerId} for product {ProductId} after {Attempts} lost etag races", customerId, productId, attempt);
                return false;
            }

            await Contention.BackOffAsync(attempt, time, ct);
        }
    }

    /// <summary>
    /// Drops customers whose carts were seen without the product, unless their entry is younger than the grace period:
    /// such a customer may be between <see cref="RecordAsync"/> and writing the cart. The caller looked at the carts
    /// before calling, so an add that began after that look has a fresh stamp here.
    /// </summary>
    public async Task ForgetAsync(string productId, IReadOnlyCollection<string> customerIds, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            var read = await _state.ReadAsync<ProductCarts>(StateKeys.ProductCarts(productId), ct);
            if (read.Value is not { } index)
            {
                return;
            }

            var settled = time.GetUtcNow() - _options.IndexGracePeriod;
            var kept = index.Customers
                .Where(entry => !customerIds.Contains(entry.Key) || entry.Value > settled)
                .ToDictionary();
            if (kept.Count == index.Customers.Count
                || await _state.TryWriteAsync(read, index with { Customers = kept }, timeToLive: null, ct))
            {
                return;
            }

            if (attempt >= _options.MaxWriteAttempts)
            {
                // Harmless: the index only names more carts than it must until the next event for this product.
                logger.LogInformation("Left {Count} stale customers in the index of product {ProductId}; it kept changing", customerIds.Count, productId);
                return;
            }

            await Contention.BackOffAsync(attempt, time, ct);
        }
    }
}
