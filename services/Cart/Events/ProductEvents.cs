using System.ComponentModel.DataAnnotations;
using Cart.Domain;

namespace Cart.Events;

/// <summary>
/// The catalog's product events, as the cart consumes them. The catalog publishes through its state store's outbox to
/// <see cref="Topic"/> on <see cref="PubSubName"/>; the CloudEvent <c>type</c> tells created, updated and deleted apart
/// and carries the contract's version.
/// </summary>
public static class ProductEvents
{
    public const string PubSubName = "pubsub";
    public const string Topic = "catalog.products";

    public const string Created = "product.created.v1";
    public const string Updated = "product.updated.v1";
    public const string Deleted = "product.deleted.v1";
}

/// <summary>The data of every product event.</summary>
/// <param name="Version">The product's revision in the catalog; it only grows, so a larger one is newer.</param>
public sealed record ProductChanged(
    [Required, RegularExpression(Ids.Pattern, ErrorMessage = "ProductId " + Ids.Message)] string ProductId,
    [Required] string Sku,
    [Required] string Name,
    [Required, Range(0d, double.MaxValue)] decimal? Price,
    [Required, RegularExpression("^[A-Z]{3}$", ErrorMessage = "Currency must be an ISO 4217 code such as EUR.")] string Currency,
    string? Category,
    [Range(1, long.MaxValue)] long Version)
{
    public ProductRevision ToRevision() => new(ProductId, Sku, Name, Price!.Value, Currency, Version);
}

/// <summary>The answer body Dapr reads to decide what happens to a delivered event.</summary>
public sealed record TopicResponse(string Status)
{
    public static readonly TopicResponse Retry = new("RETRY");
}
