using Dapr;
using System.Text.Json;
using Catalog.Domain;
using Dapr.Client;

namespace Catalog.Infrastructure;

/// <summary>A product as read, with the state store's etag that guards the next write.</summary>
public sealed record StoredProduct(Product Product, string ETag);

/// <summary>
/// Product documents in <c>catalog-store</c>. Every change is ONE state transaction holding the document and its outbox
/// projection, so the new revision and its event commit together or not at all; Dapr publishes the event to
/// <c>catalog.products</c> after the commit (component metadata <c>outboxPublishPubsub</c>/<c>outboxPublishTopic</c>).
/// </summary>
public sealed class ProductStore(DaprClient dapr, ProductIdIndex index)
{
    public async Task<StoredProduct?> FindAsync(string id, CancellationToken ct)
    {
        var (product, etag) = await dapr.GetStateAndETagAsync<Product?>(CatalogStore.Name, Key(id), cancellationToken: ct);
        return product is null ? null : new StoredProduct(product, etag);
    }

    /// <summary>
    /// Commits <paramref name="change"/> if the document still has <paramref name="etag"/> (or, for a new product, does not
    /// exist yet). Returns false when another write got there first; any other failure throws.
    /// </summary>
    public async Task<bool> SaveAsync(ProductChange change, string? etag, CancellationToken ct)
    {
        var product = change.Product;
        if (etag is null)
        {
            await index.AddAsync(product.Id, ct);
        }

        var key = Key(product.Id);
        var document = new StateTransactionRequest(key, CatalogStore.Json(product), StateOperationType.Upsert, etag, CatalogStore.JsonMetadata, CatalogStore.Guarded);
        // The projection is not stored: it replaces the document as the payload of the outbox event for the same key,
        // so the topic carries the versioned event contract rather than the storage shape.
        var projection = new StateTransactionRequest(key, CatalogStore.Json(change.Event), StateOperationType.Upsert, metadata: CatalogStore.JsonMetadata)
            .WithOutboxProjection()
            .WithCloudEventOverrides(type: change.EventType, subject: product.Id, dataContentType: "application/json");

        try
        {
            await dapr.ExecuteStateTransactionAsync(CatalogStore.Name, [document, projection], cancellationToken: ct);
            return true;
        }
        catch (DaprException) when (!ct.IsCancellationRequested)
        {
            if (await CatalogStore.ChangedSinceAsync(dapr, key, etag, ct))
            {
                return false;
            }

            throw;
        }
    }

    /// <summary>
    /// A page of products in id order, deleted ones included only when asked (a rebuilding read model needs the
    /// tombstones to drop what it should no longer show). <c>NextAfterId</c> is null on the last page.
    /// </summary>
    public async Task<(IReadOnlyList<Product> Products, string? NextAfterId)> ListAsync(string? afterId, int limit, bool includeDeleted, CancellationToken ct)
    {
        var ids = await index.PageAsync(afterId, limit, ct);
        if (ids.Count == 0)
        {
            return ([], null);
        }

        var items = await dapr.GetBulkStateAsync(CatalogStore.Name, ids.Select(Key).ToList(), parallelism: null, cancellationToken: ct);
        var byKey = items.Where(i => !string.IsNullOrEmpty(i.Value)).ToDictionary(i => i.Key, i => i.Value);
        // An id without a document is a create that failed after indexing its id: it is skipped, never shown.
        var products = ids
            .Select(id => byKey.TryGetValue(Key(id), out var json) ? JsonSerializer.Deserialize<Product>(json, JsonSerializerOptions.Web) : null)
            .OfType<Product>()
            .Where(p => includeDeleted || !p.Deleted)
            .ToList();
        return (products, ids.Count == limit ? ids[^1] : null);
    }

    private static string Key(string id) => $"product-{id}";
}
