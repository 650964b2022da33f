namespace Search.Indexing;

/// <summary>A product as the search index keeps it: what a search shows or filters on, at one catalog version.</summary>
public sealed record IndexedProduct(
    string Id,
    string Sku,
    string Name,
    string? Description,
    string Category,
    decimal Price,
    string Currency,
    string? Language,
    long Version,
    bool Deleted);
