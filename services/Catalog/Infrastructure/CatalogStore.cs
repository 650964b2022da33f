using System.Text.Json;
using Dapr.Client;

namespace Catalog.Infrastructure;

/// <summary>The catalog's only storage: the Dapr state store <c>catalog-store</c>, whatever component backs it.</summary>
internal static class CatalogStore
{
    public const string Name = "catalog-store";

    /// <summary>
    /// Declares values as JSON, so state.postgresql stores a JSONB document (not base64 of the bytes) and MongoDB a
    /// BSON document; stores that keep bytes anyway ignore it.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> JsonMetadata = new Dictionary<string, string> { ["contentType"] = "application/json" };

    /// <summary>
    /// With an etag: write only if the stored etag still matches. Without one: write only if the key does not exist.
    /// Said explicitly because state.redis ignores etags under last-write.
    /// </summary>
    public static readonly StateOptions Guarded = new() { Concurrency = ConcurrencyMode.FirstWrite };

    public static byte[] Json<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, JsonSerializerOptions.Web);

    /// <summary>
    /// Tells a failed guarded write caused by a concurrent change from any other failure. Dapr reports an etag mismatch
    /// inside a transaction as a plain internal error (and some stores do the same for an insert over an existing key),
    /// so the only store-independent test is to read the key again: if its etag moved, somebody else wrote first.
    /// </summary>
    public static async Task<bool> ChangedSinceAsync(DaprClient dapr, string key, string? etag, CancellationToken ct)
    {
        var (_, current) = await dapr.GetStateAndETagAsync<JsonElement?>(Name, key, cancellationToken: ct);
        return !string.Equals(NullIfEmpty(current), NullIfEmpty(etag), StringComparison.Ordinal);
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
