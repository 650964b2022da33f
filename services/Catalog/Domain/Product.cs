using System.Text.Json;

namespace Catalog.Domain;

/// <summary>What a client may set on a product; everything else (id, version, deleted) belongs to the catalog.</summary>
public sealed record ProductDetails(
    string Sku,
    string Name,
    string? Description,
    decimal Price,
    string Currency,
    string Category,
    IReadOnlyDictionary<string, JsonElement> Attributes);

/// <summary>
/// The product document as stored in <c>catalog-store</c>. <see cref="Version"/> is the product's revision: it starts at 1
/// and grows by one with every change, so consumers of the events can tell an older change from a newer one whatever
/// order the events arrive in. It is also the HTTP ETag: unlike the state store's own etag it means the same thing on
/// every store, so switching the component from PostgreSQL to MongoDB changes nothing for clients.
/// </summary>
/// <remarks>
/// A deleted product stays as a tombstone (<see cref="Deleted"/> = true, a new version) rather than being removed: Dapr's
/// transactional outbox publishes an event only for the <em>upserts</em> of a transaction, never for its deletes, so
/// removing the document would publish nothing and every read model would keep the product for ever. The tombstone
/// also keeps the version sequence, so a late, older update can never bring the product back in a read model.
/// </remarks>
public sealed record Product(
    string Id,
    string Sku,
    string Name,
    string? Description,
    decimal Price,
    string Currency,
    string Category,
    IReadOnlyDictionary<string, JsonElement> Attributes,
    long Version,
    bool Deleted)
{
    public static ProductChange Create(string id, ProductDetails details)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        var product = new Product(id, details.Sku, details.Name, details.Description, details.Price, details.Currency,
            details.Category, details.Attributes, Version: 1, Deleted: false);
        return new ProductChange(product, ProductEventTypes.Created);
    }

    public ProductChange Update(ProductDetails details)
    {
        EnsureNotDeleted();
        var product = this with
        {
            Sku = details.Sku,
            Name = details.Name,
            Description = details.Description,
            Price = details.Price,
            Currency = details.Currency,
            Category = details.Category,
            Attributes = details.Attributes,
            Version = Version + 1,
        };
        return new ProductChange(product, ProductEventTypes.Updated);
    }

    public ProductChange Delete()
    {
        EnsureNotDeleted();
        return new ProductChange(this with { Deleted = true, Version = Version + 1 }, ProductEventTypes.Deleted);
    }

    private void EnsureNotDeleted()
    {
        if (Deleted)
        {
            throw new InvalidOperationException($"product {Id} is deleted; a deleted product cannot change");
        }
    }
}

/// <summary>A new revision of a product and the versioned event type that announces it.</summary>
public sealed record ProductChange(Product Product, string EventType)
{
    public ProductChangedEvent Event => ProductChangedEvent.From(Product);
}
