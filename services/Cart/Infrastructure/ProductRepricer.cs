using Cart.Domain;

namespace Cart.Infrastructure;

/// <summary>Keeps the carts' copies of a product's name and price fresh when the catalog changes the product.</summary>
public sealed class ProductRepricer(CartStore carts, ProductCartIndex index, ILogger<ProductRepricer> logger)
{
    private const int Parallelism = 4;

    /// <summary>
    /// Reprices every cart holding the product. Safe to run again for the same event after a crash or a redelivery:
    /// carts already done recognise the event id and are left alone.
    /// </summary>
    /// <returns>False when some cart could not be written for contention; the event should be delivered again.</returns>
    public async Task<bool> ApplyAsync(ProductRevision product, string eventId, CancellationToken ct)
    {
        var customers = await index.CustomersAsync(product.ProductId, ct);
        var notHolding = new List<string>();
        var contended = 0;
        var repriced = 0;

        await Parallel.ForEachAsync(customers, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = ct }, async (customerId, token) =>
        {
            switch (await carts.RepriceAsync(customerId, product, eventId, token))
            {
                case RepriceOutcome.Repriced:
                    Interlocked.Increment(ref repriced);
                    break;
                case RepriceOutcome.NotHeld:
                    lock (notHolding)
                    {
                        notHolding.Add(customerId);
                    }

                    break;
                case RepriceOutcome.Contended:
                    Interlocked.Increment(ref contended);
                    break;
            }
        });

        if (notHolding.Count > 0)
        {
            await index.ForgetAsync(product.ProductId, notHolding, ct);
        }

        logger.LogInformation("Event {EventId}: product {ProductId} v{Version} repriced {Repriced} of {Candidates} carts; {Contended} contended",
            eventId, product.ProductId, product.Version, repriced, customers.Count, contended);
        return contended == 0;
    }
}
