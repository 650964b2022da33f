using LocalSidecar.Components;

namespace LocalSidecar.State.InMemory;

/// <summary>
/// <c>state.in-memory</c>, following components-contrib <c>state/in-memory</c>: a new uuid etag on every write,
/// a non-empty etag must match whatever the concurrency mode, TTL with <c>ttlExpireTime</c> on reads, and
/// transactions that check every etag before writing anything. Data lives as long as the sidecar process.
/// </summary>
public sealed class InMemoryStateStore(ComponentDefinition definition, TimeProvider time) : IStateStore
{
    private readonly Dictionary<string, Entry> _items = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly int? _defaultTtl = ReadDefaultTtl(definition);

    private sealed record Entry(byte[] Data, string ETag, DateTimeOffset? ExpiresAt);

    public StateStoreFeatures Features => StateStoreFeatures.ETag | StateStoreFeatures.Transactional | StateStoreFeatures.Ttl | StateStoreFeatures.ActorStateStore;

    public Task InitAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task PingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<StateItem> GetAsync(string key, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(Read(key));
        }
    }

    public Task<IReadOnlyList<StateItem>> BulkGetAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult<IReadOnlyList<StateItem>>(keys.Select(Read).ToList());
        }
    }

    public Task<IReadOnlyList<string>> KeysAsync(string prefix, string suffix, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            IReadOnlyList<string> keys = _items.Keys
                .Where(key => key.Length >= prefix.Length + suffix.Length
                              && key.StartsWith(prefix, StringComparison.Ordinal) && key.EndsWith(suffix, StringComparison.Ordinal)
                              && Live(key) is not null)
                .Order(StringComparer.Ordinal)
                .ToList();
            return Task.FromResult(keys);
        }
    }

    public Task SetAsync(SetOperation operation, CancellationToken cancellationToken)
        => ExecuteTransactionAsync([operation], cancellationToken);

    public Task DeleteAsync(DeleteOperation operation, CancellationToken cancellationToken)
        => ExecuteTransactionAsync([operation], cancellationToken);

    public Task ExecuteTransactionAsync(IReadOnlyList<StateOperation> operations, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            // Check the whole batch first against the state as each operation will see it, so nothing is written on a mismatch.
            var shadow = new Dictionary<string, Entry?>(StringComparer.Ordinal);
            foreach (var op in operations)
            {
                var current = shadow.TryGetValue(op.Key, out var pending) ? pending : Live(op.Key);
                Check(op, current);
                shadow[op.Key] = op switch
                {
                    SetOperation set => NewEntry(set),
                    DeleteOperation => null,
                    _ => throw new ArgumentOutOfRangeException(nameof(operations), op.GetType().Name, "unknown operation"),
                };
            }

            foreach (var (key, entry) in shadow)
            {
                if (entry is null)
                {
                    _items.Remove(key);
                }
                else
                {
                    _items[key] = entry;
                }
            }
        }

        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static void Check(StateOperation op, Entry? current)
    {
        if (!string.IsNullOrEmpty(op.ETag))
        {
            if (current is null || current.ETag != op.ETag)
            {
                throw new ETagMismatchException(op.Key);
            }
        }
        else if (op is SetOperation && op.Concurrency == Concurrency.FirstWrite && current is not null)
        {
            throw new ETagMismatchException(op.Key);
        }
    }

    private Entry NewEntry(SetOperation set)
    {
        var ttl = set.TtlInSeconds ?? _defaultTtl;
        DateTimeOffset? expiresAt = ttl is > 0 ? time.GetUtcNow().AddSeconds(ttl.Value) : null;
        return new Entry(set.Value.Bytes.ToArray(), Guid.NewGuid().ToString(), expiresAt);
    }

    private Entry? Live(string key)
    {
        if (!_items.TryGetValue(key, out var entry))
        {
            return null;
        }

        if (entry.ExpiresAt is { } expiry && expiry <= time.GetUtcNow())
        {
            _items.Remove(key);
            return null;
        }

        return entry;
    }

    private StateItem Read(string key)
    {
        var entry = Live(key);
        if (entry is null)
        {
            return StateItem.Missing(key);
        }

        var metadata = entry.ExpiresAt is { } expiry
            ? new Dictionary<string, string> { ["ttlExpireTime"] = expiry.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture) }
            : StateItem.EmptyMetadata;
        return new StateItem(key, entry.Data, entry.ETag, metadata);
    }

    private static int? ReadDefaultTtl(ComponentDefinition definition)
    {
        var ttl = definition.Metadata.GetInt("ttlInSeconds", 0);
        return ttl > 0 ? ttl : null;
    }
}
