using System.Text.Json;
using Catalog.Domain;

namespace Catalog.Apis;

public sealed record ProductResponse(
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
    public static ProductResponse From(Product p) =>
        new(p.Id, p.Sku, p.Name, p.Description, p.Price, p.Currency, p.Category, p.Attributes, p.Version, p.Deleted);
}

/// <summary>A page of <c>GET /products</c>; pass <see cref="NextAfterId"/> as <c>afterId</c> for the next one (null: last page).</summary>
public sealed record ProductPage(IReadOnlyList<ProductResponse> Items, string? NextAfterId);
