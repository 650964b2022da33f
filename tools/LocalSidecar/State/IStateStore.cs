namespace LocalSidecar.State;

/// <summary>
/// A state store as daprd sees one (components-contrib <c>state.Store</c>): keys arrive already prefixed by
/// <see cref="StateKeys"/>, etags are opaque strings, and every store decides its own etag format.
/// </summary>
public interface IStateStore : IAsyncDisposable
{
    StateStoreFeatures Features { get; }

    /// <summary>Connects and runs the store's own migrations, as daprd does when it loads the component.</summary>
    Task InitAsync(CancellationToken cancellationToken);

    /// <summary>Returns <see cref="StateItem.Missing"/> for a missing or expired key; a missing key is not an error.</summary>
    Task<StateItem> GetAsync(string key, CancellationToken cancellationToken);

    Task<IReadOnlyList<StateItem>> BulkGetAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken);

    /// <exception cref="ETagMismatchException">The etag does not match, or first-write found an existing key.</exception>
    /// <exception cref="ETagInvalidException">The etag is not in this store's format.</exception>
    Task SetAsync(SetOperation operation, CancellationToken cancellationToken);

    /// <exception cref="ETagMismatchException">The etag does not match.</exception>
    Task DeleteAsync(DeleteOperation operation, CancellationToken cancellationToken);

    /// <summary>
    /// Applies every operation or none. All etags are checked before anything is written, so a mismatch
    /// leaves the store untouched.
    /// </summary>
    Task ExecuteTransactionAsync(IReadOnlyList<StateOperation> operations, CancellationToken cancellationToken);

    /// <summary>
    /// <see cref="ExecuteTransactionAsync"/>, then the etag each key the transaction set now has (deleted keys are
    /// absent). The workflow engine saves with the metadata's etag every turn; a store that knows the new etags from
    /// the write itself (state.redis: the versions its script wrote) spares it a read per save.
    /// </summary>
    async Task<IReadOnlyDictionary<string, string>> ExecuteTransactionReturningETagsAsync(IReadOnlyList<StateOperation> operations, CancellationToken cancellationToken)
    {
        await ExecuteTransactionAsync(operations, cancellationToken).ConfigureAwait(false);
        var set = operations.Where(op => op is SetOperation).Select(op => op.Key).Distinct(StringComparer.Ordinal).ToList();
        var written = set.Count == 0 ? [] : await BulkGetAsync(set, cancellationToken).ConfigureAwait(false);
        return written.Where(item => item.ETag is not null).ToDictionary(item => item.Key, item => item.ETag!, StringComparer.Ordinal);
    }

    /// <summary>
    /// Every live key that starts with <paramref name="prefix"/> and ends with <paramref name="suffix"/>, in ordinal order.
    /// daprd lists workflow instances the same way, through the stores' <c>KeysLike</c>; the local sidecar only ever
    /// asks for prefix-and-suffix patterns, so it takes them as plain text rather than a LIKE pattern to escape.
    /// </summary>
    Task<IReadOnlyList<string>> KeysAsync(string prefix, string suffix, CancellationToken cancellationToken);

    /// <summary>Used by <c>/v1.0/healthz/outbound</c> and the metadata API.</summary>
    Task PingAsync(CancellationToken cancellationToken);
}

[Flags]
public enum StateStoreFeatures
{
    None = 0,
    ETag = 1,
    Transactional = 2,
    Ttl = 4,
    Query = 8,
    ActorStateStore = 16,
}

public enum Concurrency
{
    /// <summary>
    /// The caller named no concurrency mode, which the SDKs do unless asked. An etag, when given, must match;
    /// without one the last write wins. daprd passes an empty mode in this case, and stores treat it differently
    /// from an explicit <see cref="LastWrite"/> (state.redis ignores the etag only under explicit last-write).
    /// </summary>
    Unspecified,
    /// <summary>Explicit last-write: no etag means last write wins; stores that honour the mode may ignore the etag.</summary>
    LastWrite,
    /// <summary>The etag must match, or the key must be new.</summary>
    FirstWrite,
}

/// <summary>
/// A value as it reached the sidecar. <see cref="IsJson"/> tells stores that keep JSON natively
/// (state.postgresql v1) whether to store a document or an opaque binary value, as daprd does:
/// values from the HTTP API are JSON; values from gRPC are bytes unless the item metadata says
/// <c>contentType: application/json</c>.
/// </summary>
public readonly record struct StateValue(ReadOnlyMemory<byte> Bytes, bool IsJson);

public sealed record StateItem(string Key, byte[]? Data, string? ETag, IReadOnlyDictionary<string, string> Metadata)
{
    public bool Exists => Data is not null;

    public static StateItem Missing(string key) => new(key, null, null, EmptyMetadata);

    public static readonly IReadOnlyDictionary<string, string> EmptyMetadata = new Dictionary<string, string>();
}

public abstract record StateOperation(string Key, string? ETag, Concurrency Concurrency);

public sealed record SetOperation(
    string Key,
    StateValue Value,
    string? ETag = null,
    Concurrency Concurrency = Concurrency.Unspecified,
    int? TtlInSeconds = null) : StateOperation(Key, ETag, Concurrency);

public sealed record DeleteOperation(
    string Key,
    string? ETag = null,
    Concurrency Concurrency = Concurrency.Unspecified) : StateOperation(Key, ETag, Concurrency);

public class StateStoreException(string message, Exception? inner = null) : Exception(message, inner);

public sealed class ETagMismatchException(string key, Exception? inner = null)
    : StateStoreException($"possible etag mismatch. error from state store: etag mismatch for key {key}", inner)
{
    public string Key { get; } = key;
}

public sealed class ETagInvalidException(string key, string etag)
    : StateStoreException($"invalid etag value: etag '{etag}' for key {key} is not in the store's format")
{
    public string Key { get; } = key;
}
