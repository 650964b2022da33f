using System.Text.Json;

namespace Catalog.Domain;

/// <summary>
/// The CloudEvent <c>type</c> of each product event on topic <c>catalog.products</c>. The version is part of the type, so a
/// breaking change to the data ships as <c>.v2</c> beside <c>.v1</c> and each subscriber routes on the types it understands.
/// </summary>
public static class ProductEventTypes
{
    public const string Created = "product.created.v1";
    public const string Updated = "product.updated.v1";
    public const string Deleted = "product.deleted.v1";
}

/// <summary>
/// The data of every <c>product.*.v1</c> event: the whole product as of <see cref="Version"/>, so a consumer needs no call
/// back to the catalog and can simply keep the highest version it has seen.
/// </summary>
public sealed record ProductChangedEvent(
    string ProductId,
    string Sku,
    string Name,
    decimal Price,
    string Currency,
    string Category,
    string? Description,
    IReadOnlyDictionary<string, JsonElement> Attributes,
    long Version,
    bool Deleted)
{
    public static ProductChangedEvent From(Product product) => new(product.Id, product.Sku, product.Name, product.Price,
        product.Currency, product.Category, product.Description, product.Attributes, product.Version, product.Deleted);
}
