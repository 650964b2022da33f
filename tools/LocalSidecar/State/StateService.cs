using System.Globalization;
using System.Net;
using Grpc.Core;
using LocalSidecar.Api;

namespace LocalSidecar.State;

/// <summary>A state item as an API caller sends it, before the key rule is applied.</summary>
public sealed record SaveItem(string Key, StateValue Value, string? ETag, Concurrency Concurrency, IReadOnlyDictionary<string, string> Metadata);

public sealed record TransactionItem(bool IsDelete, SaveItem Item);

/// <summary>
/// The state building block shared by the gRPC and HTTP APIs: finds the store, applies the component's key prefix,
/// reads per-item metadata (<c>ttlInSeconds</c>, <c>contentType</c>), runs the outbox, and maps store errors to
/// the errors daprd returns (dapr/dapr pkg/api/grpc/grpc.go, pkg/api/http/http.go).
/// </summary>
public sealed class StateService(StateStoreRegistry registry, IStateOutbox outbox)
{
    public StateStoreEntry Resolve(string storeName)
    {
        if (registry.Stores.Count == 0)
        {
            throw DaprApiException.StateStoresNotConfigured();
        }

        if (string.IsNullOrEmpty(storeName) || !registry.Stores.TryGetValue(storeName, out var entry))
        {
            throw DaprApiException.StateStoreNotFound(storeName);
        }

        return entry;
    }

    public async Task<StateItem> GetAsync(string storeName, string key, CancellationToken ct)
    {
        var entry = Resolve(storeName);
        var storeKey = StoreKey(entry, key);
        try
        {
            var item = await entry.Store.GetAsync(storeKey, ct);
            return item with { Key = key };
        }
        catch (StateStoreException e)
        {
            throw new DaprApiException("ERR_STATE_GET", $"fail to get {key} from state store {storeName}: {e.Message}", HttpStatusCode.InternalServerError, StatusCode.Internal, e);
        }
    }

    public async Task<IReadOnlyList<StateItem>> BulkGetAsync(string storeName, IReadOnlyList<string> keys, CancellationToken ct)
    {
        var entry = Resolve(storeName);
        var storeKeys = keys.Select(k => StoreKey(entry, k)).ToList();
        var items = await entry.Store.BulkGetAsync(storeKeys, ct);
        return items.Select(i => i with { Key = entry.Keys.FromStoreKey(i.Key) }).ToList();
    }

    /// <summary>Saves items one by one, as daprd's BulkSet does for most stores: not a transaction.</summary>
    public async Task SaveAsync(string storeName, IReadOnlyList<SaveItem> items, CancellationToken ct)
    {
        var entry = Resolve(storeName);
        var operations = items.Select(i => ToSet(entry, i)).ToList();
        foreach (var op in operations)
        {
            try
            {
                await entry.Store.SetAsync(op, ct);
            }
            catch (StateStoreException e)
            {
                throw SaveError(storeName, e);
            }
        }
    }

    public async Task DeleteAsync(string storeName, string key, string? etag, Concurrency concurrency, CancellationToken ct)
    {
        var entry = Resolve(storeName);
        try
        {
            await entry.Store.DeleteAsync(new DeleteOperation(StoreKey(entry, key), NullIfEmpty(etag), concurrency), ct);
        }
        catch (StateStoreException e)
        {
            throw DeleteError(key, e);
        }
    }

    public async Task DeleteBulkAsync(string storeName, IReadOnlyList<(string Key, string? ETag, Concurrency Concurrency)> items, CancellationToken ct)
    {
        var entry = Resolve(storeName);
        foreach (var (key, etag, concurrency) in items)
        {
            try
            {
                await entry.Store.DeleteAsync(new DeleteOperation(StoreKey(entry, key), NullIfEmpty(etag), concurrency), ct);
            }
            catch (StateStoreException e)
            {
                throw new DaprApiException("ERR_STATE_DELETE_BULK", $"failed deleting state in state store {storeName}: {e.Message}",
                    e is ETagMismatchException ? HttpStatusCode.Conflict : HttpStatusCode.InternalServerError,
                    e is ETagMismatchException ? StatusCode.Aborted : StatusCode.Internal, e);
            }
        }
    }

    /// <summary>
    /// Runs a transaction. Every failure, an etag mismatch included, is reported as daprd reports it for transactions:
    /// <see cref="StatusCode.Internal"/>, not Aborted.
    /// </summary>
    public async Task TransactAsync(string storeName, IReadOnlyList<TransactionItem> items, IReadOnlyDictionary<string, string> requestMetadata, CancellationToken ct)
    {
        var entry = Resolve(storeName);
        if (!entry.Store.Features.HasFlag(StateStoreFeatures.Transactional))
        {
            throw DaprApiException.TransactionsNotSupported(storeName);
        }

        var operations = new List<StateOperation>(items.Count);
        foreach (var item in items)
        {
            operations.Add(item.IsDelete
                ? new DeleteOperation(StoreKey(entry, item.Item.Key), NullIfEmpty(item.Item.ETag), item.Item.Concurrency)
                : ToSet(entry, item.Item));
        }

        try
        {
            var prepared = entry.Outbox is null
                ? new PreparedTransaction(operations, null)
                : await outbox.PrepareAsync(entry, items, operations, ct);
            await entry.Store.ExecuteTransactionAsync(prepared.Operations, ct);
            if (prepared.AfterCommit is not null)
            {
                await prepared.AfterCommit(ct);
            }
        }
        catch (StateStoreException e)
        {
            throw new DaprApiException("ERR_STATE_TRANSACTION", $"error while executing state transaction: {e.Message}", HttpStatusCode.InternalServerError, StatusCode.Internal, e);
        }
    }

    private static string StoreKey(StateStoreEntry entry, string key)
    {
        if (string.IsNullOrEmpty(key))
        {
            throw DaprApiException.BadRequest("ERR_MALFORMED_REQUEST", "state key must not be empty");
        }

        try
        {
            return entry.Keys.ToStoreKey(key);
        }
        catch (InvalidStateKeyException e)
        {
            throw DaprApiException.BadRequest("ERR_MALFORMED_REQUEST", e.Message);
        }
    }

    private static SetOperation ToSet(StateStoreEntry entry, SaveItem item)
        => new(StoreKey(entry, item.Key), item.Value, NullIfEmpty(item.ETag), item.Concurrency, TtlFrom(item.Metadata));

    /// <summary><c>ttlInSeconds</c> must be an integer ≥ −1; −1 and 0 mean "never expires" (components-contrib state/utils/ttl.go).</summary>
    public static int? TtlFrom(IReadOnlyDictionary<string, string> metadata)
    {
        if (!metadata.TryGetValue("ttlInSeconds", out var raw) || string.IsNullOrEmpty(raw))
        {
            return null;
        }

        if (!int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ttl) || ttl < -1)
        {
            throw DaprApiException.BadRequest("ERR_MALFORMED_REQUEST", $"incorrect value for metadata 'ttlInSeconds': '{raw}' must be an integer greater than or equal to -1");
        }

        return ttl;
    }

    private static DaprApiException SaveError(string storeName, StateStoreException e) => e switch
    {
        ETagMismatchException => new("ERR_STATE_SAVE", $"failed saving state in state store {storeName}: {e.Message}", HttpStatusCode.Conflict, StatusCode.Aborted, e),
        ETagInvalidException => new("ERR_STATE_SAVE", $"failed saving state in state store {storeName}: {e.Message}", HttpStatusCode.BadRequest, StatusCode.InvalidArgument, e),
        _ => new("ERR_STATE_SAVE", $"failed saving state in state store {storeName}: {e.Message}", HttpStatusCode.InternalServerError, StatusCode.Internal, e),
    };

    private static DaprApiException DeleteError(string key, StateStoreException e) => e switch
    {
        ETagMismatchException => new("ERR_STATE_DELETE", $"failed deleting state with key {key}: {e.Message}", HttpStatusCode.Conflict, StatusCode.Aborted, e),
        ETagInvalidException => new("ERR_STATE_DELETE", $"failed deleting state with key {key}: {e.Message}", HttpStatusCode.BadRequest, StatusCode.InvalidArgument, e),
        _ => new("ERR_STATE_DELETE", $"failed deleting state with key {key}: {e.Message}", HttpStatusCode.InternalServerError, StatusCode.Internal, e),
    };

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}

/// <summary>The operations to commit, with what to do once they committed.</summary>
public sealed record PreparedTransaction(IReadOnlyList<StateOperation> Operations, Func<CancellationToken, Task>? AfterCommit);

/// <summary>The transactional outbox hook (daprd pkg/runtime/pubsub/outbox.go): adds its marker rows before the commit.</summary>
public interface IStateOutbox
{
    Task<PreparedTransaction> PrepareAsync(StateStoreEntry entry, IReadOnlyList<TransactionItem> items, IReadOnlyList<StateOperation> operations, CancellationToken ct);
}
