using Dapr;
using System.Globalization;
using System.Text.Json;
using Catalog.Domain;
using Dapr.Client;

namespace Catalog.Infrastructure;

/// <summary>
/// Every product id, so the catalog can be listed (and a read model rebuilt) on any state store. Dapr's state API cannot
/// list keys, and its Query API exists only on some stores (not on state.in-memory, nor in the local sidecar), so the ids
/// are kept in 256 bucket documents <c>product-ids-00</c> … <c>product-ids-ff</c>, one per first two hex characters of
/// the id. Buckets keep each document small and spread concurrent creates; ordering by id is ordering by bucket, then
/// by id within the bucket, which gives keyset paging for free.
/// </summary>
/// <remarks>
/// The index is written <em>before</em> the product's transaction, with a plain etag-guarded save, and not inside it:
/// Dapr's outbox publishes every upsert of a transaction, so an index document in it would put an extra event carrying
/// the whole bucket on the public topic at every create. Written first, the index is a superset of the products: a
/// create that fails after this step leaves an id with no document, which listing skips, and a product can never exist
/// without its id in the index.
/// </remarks>
public sealed class ProductIdIndex(DaprClient dapr)
{
    public const int BucketCount = 256;
    private const int ReadBatch = 16;
    private const int MaxAttempts = 20;

    public async Task AddAsync(string id, CancellationToken ct)
    {
        var key = BucketKey(BucketOf(id));
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            var (bucket, etag) = await dapr.GetStateAndETagAsync<IdBucket?>(CatalogStore.Name, key, cancellationToken: ct);
            bucket ??= IdBucket.Empty;
            if (bucket.Contains(id))
            {
                return;
            }

            var items = new List<SaveStateItem<IdBucket>> { new(key, bucket.With(id), etag, CatalogStore.Guarded, CatalogStore.JsonMetadata) };
            try
            {
                await dapr.SaveBulkStateAsync(CatalogStore.Name, items, ct);
                return;
            }
            catch (DaprException) when (!ct.IsCancellationRequested)
            {
                if (!await CatalogStore.ChangedSinceAsync(dapr, key, etag, ct))
                {
                    throw;
                }

                // Another create added its id to this bucket first: read it again and add ours to the new version.
            }
        }

        throw new InvalidOperationException($"the id bucket {key} changed {MaxAttempts} times in a row while adding {id}");
    }

    /// <summary>Up to <paramref name="limit"/> ids greater than <paramref name="afterId"/> (all ids when null), in order.</summary>
    public async Task<IReadOnlyList<string>> PageAsync(string? afterId, int limit, CancellationToken ct)
    {
        var ids = new List<string>(limit);
        for (var first = afterId is null ? 0 : BucketOf(afterId); first < BucketCount && ids.Count < limit; first += ReadBatch)
        {
            var keys = Enumerable.Range(first, Math.Min(ReadBatch, BucketCount - first)).Select(BucketKey).ToList();
            var buckets = await dapr.GetBulkStateAsync(CatalogStore.Name, keys, parallelism: null, cancellationToken: ct);
            var byKey = buckets.Where(b => !string.IsNullOrEmpty(b.Value)).ToDictionary(b => b.Key, b => JsonSerializer.Deserialize<IdBucket>(b.Value, JsonSerializerOptions.Web)!);
            foreach (var key in keys)
            {
                if (byKey.TryGetValue(key, out var bucket))
                {
                    ids.AddRange(bucket.Ids.Where(id => afterId is null || string.CompareOrdinal(id, afterId) > 0).Take(limit - ids.Count));
                }
            }
        }

        return ids;
    }

    public static int BucketOf(string id) => int.Parse(id.AsSpan(0, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);

    private static string BucketKey(int bucket) => $"product-ids-{bucket:x2}";

    /// <summary>One bucket's ids, kept sorted so a page is a contiguous slice.</summary>
    public sealed record IdBucket(IReadOnlyList<string> Ids)
    {
        public static IdBucket Empty { get; } = new([]);

        public bool Contains(string id) => BinarySearch(id) >= 0;

        public IdBucket With(string id)
        {
            var index = BinarySearch(id);
            if (index >= 0)
            {
                return this;
            }

            var ids = Ids.ToList();
            ids.Insert(~index, id);
            return new IdBucket(ids);
        }

        private int BinarySearch(string id) => Ids.ToList().BinarySearch(id, StringComparer.Ordinal);
    }
}
