using System.Text.Json;

namespace Search.Indexing;

/// <summary>
/// The CloudEvent as the sidecar delivers it. Bound whole, not unwrapped by the CloudEvents middleware, because the
/// envelope's <see cref="Id"/> is what makes handling idempotent: the outbox may deliver the same event twice.
/// </summary>
public sealed record ProductEventEnvelope(string? Id, string? Type, ProductEventData? Data);

/// <summary>
/// The data of the catalog's <c>product.*.v1</c> events, as this consumer reads it (its own copy of the contract: the
/// catalog's types are not shared, so each side can evolve and a v2 is a new type, not a silent change).
/// </summary>
public sealed record ProductEventData(
    string? ProductId,
    string? Sku,
    string? Name,
    decimal Price,
    string? Currency,
    string? Category,
    string? Description,
    Dictionary<string, JsonElement>? Attributes,
    long Version,
    bool Deleted)
{
    public static class Types
    {
        public const string Created = "product.created.v1";
        public const string Updated = "product.updated.v1";
        public const string Deleted = "product.deleted.v1";
    }

    /// <summary>Null when a field the index needs is missing: such an event can never be indexed, however often it is retried.</summary>
    public IndexedProduct? ToIndexed() =>
        ProductId is { Length: > 0 } && Sku is not null && Name is not null && Currency is not null && Category is not null && Version > 0
            ? new IndexedProduct(ProductId, Sku, Name, Description, Category, Price, Currency, LanguageOf(Attributes), Version, Deleted)
            : null;

    public static string? LanguageOf(IReadOnlyDictionary<string, JsonElement>? attributes) =>
        attributes is not null && attributes.TryGetValue("language", out var value) && value.ValueKind == JsonValueKind.String
            && value.GetString() is "en" or "fr" ? value.GetString() : null;
}
