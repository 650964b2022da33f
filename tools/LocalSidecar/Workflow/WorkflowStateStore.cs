using System.Globalization;
using System.Text.Json;
using Dapr.DurableTask.Protobuf;
using Google.Protobuf;
using LocalSidecar.State;

namespace LocalSidecar.Workflow;

/// <summary>
/// Workflow instances in the actor state store, in daprd's own layout and encoding (dapr
/// <c>pkg/runtime/wfengine/state/state.go</c>), so daprd and this sidecar read each other's rows:
/// <code>
/// {appId}||dapr.internal.{namespace}.{appId}.workflow||{instanceId}||metadata        BackendWorkflowStateMetadata
/// {appId}||dapr.internal.{namespace}.{appId}.workflow||{instanceId}||inbox-NNNNNN    HistoryEvent
/// {appId}||dapr.internal.{namespace}.{appId}.workflow||{instanceId}||history-NNNNNN  HistoryEvent
/// {appId}||dapr.internal.{namespace}.{appId}.workflow||{instanceId}||customStatus    google.protobuf.StringValue
/// </code>
/// Keys are raw: actor state ignores the component's keyPrefix. Values are raw protobuf bytes, never JSON, so
/// state.redis keeps them unchanged and state.postgresql v1 stores base64 strings with isbinary=true, as daprd does.
/// <para>
/// One addition of the local sidecar: <c>{appId}||dapr.internal.{namespace}.{appId}.workflow||local-index</c> lists
/// the instances that have not finished (protobuf <c>ListInstanceIDsResponse</c>). daprd finds them again through its
/// Scheduler reminders; without a Scheduler the sidecar needs this list to resume pending activities and timers after
/// a restart. An instance joins it when it is created and leaves it in the save that finishes it, so the list stays
/// as short as the work in flight: a list of every instance ever run would be rewritten, whole, on every start. Listing
/// all instances is a key scan instead (<see cref="ListInstanceIdsAsync"/>), as in daprd. The key has three segments
/// where actor keys have four, so it can never collide with one, and daprd ignores it.
/// </para>
/// </summary>
public sealed class WorkflowStateStore(IStateStore store, string appId, string @namespace)
{
    private const int MaxEntries = 1_000_000;
    private readonly SemaphoreSlim _indexGate = new(1, 1);
    // Replaced whole under _indexGate, read without it: an instance's own membership only changes in its own saves,
    // which its runner serialises, so a save may test it lock-free and take the gate only to change the list.
    private volatile LiveIndex _index = LiveIndex.Empty;
    private string? _indexETag;

    private sealed record LiveIndex(IReadOnlyList<string> Ids, IReadOnlySet<string> Members)
    {
        public static readonly LiveIndex Empty = new([], new HashSet<string>(StringComparer.Ordinal));

        public static LiveIndex Of(IEnumerable<string> ids)
        {
            var list = ids.Distinct(StringComparer.Ordinal).ToList();
            return new LiveIndex(list, new HashSet<string>(list, StringComparer.Ordinal));
        }
    }

    public string ActorType { get; } = $"dapr.internal.{@namespace}.{appId}.workflow";

    public string KeyPrefix(string instanceId) => $"{appId}{StateKeys.Separator}{ActorType}{StateKeys.Separator}{instanceId}{StateKeys.Separator}";

    public string MetadataKey(string instanceId) => KeyPrefix(instanceId) + "metadata";

    public string CustomStatusKey(string instanceId) => KeyPrefix(instanceId) + "customStatus";

    public string InboxKey(string instanceId, int index) => KeyPrefix(instanceId) + "inbox-" + index.ToString("D6", CultureInfo.InvariantCulture);

    public string HistoryKey(string instanceId, int index) => KeyPrefix(instanceId) + "history-" + index.ToString("D6", CultureInfo.InvariantCulture);

    public string IndexKey => $"{appId}{StateKeys.Separator}{ActorType}{StateKeys.Separator}local-index";

    public async Task<IReadOnlyList<string>> LoadIndexAsync(CancellationToken ct)
    {
        await _indexGate.WaitAsync(ct);
        try
        {
            var item = await store.GetAsync(IndexKey, ct);
            _index = item.Data is { Length: > 0 } data ? LiveIndex.Of(ListInstanceIDsResponse.Parser.ParseFrom(data).InstanceIds) : LiveIndex.Empty;
            _indexETag = item.ETag;
            return _index.Ids;
        }
        finally
        {
            _indexGate.Release();
        }
    }

    /// <summary>
    /// Takes finished instances off the live index in one write: an index written by an earlier version of the sidecar
    /// listed every instance, and a crash between an instance's last save and its removal cannot happen (one transaction).
    /// </summary>
    public async Task ForgetFinishedAsync(IReadOnlyCollection<string> finished, CancellationToken ct)
    {
        if (finished.Count == 0)
        {
            return;
        }

        var gone = finished.ToHashSet(StringComparer.Ordinal);
        await _indexGate.WaitAsync(ct);
        try
        {
            await WriteIndexAsync(LiveIndex.Of(_index.Ids.Where(id => !gone.Contains(id))), [], ct);
        }
        finally
        {
            _indexGate.Release();
        }
    }

    /// <summary>Every instance id in the store, finished or not, from a scan of the metadata keys (daprd: KeysLike).</summary>
    public async Task<IReadOnlyList<string>> ListInstanceIdsAsync(CancellationToken ct)
    {
        var prefix = $"{appId}{StateKeys.Separator}{ActorType}{StateKeys.Separator}";
        var suffix = StateKeys.Separator + "metadata";
        var keys = await store.KeysAsync(prefix, suffix, ct);
        return keys.Select(key => key[prefix.Length..^suffix.Length]).ToList();
    }

    public async Task<InstanceState?> LoadAsync(string instanceId, CancellationToken ct)
    {
        var metadataItem = await store.GetAsync(MetadataKey(instanceId), ct);
        if (metadataItem.Data is not { Length: > 0 } metadataBytes)
        {
            return null;
        }

        var metadata = ParseMetadata(instanceId, metadataBytes);
        if (metadata.InboxLength > MaxEntries || metadata.HistoryLength > MaxEntries)
        {
            throw new StateStoreException($"workflow '{instanceId}': metadata declares more than {MaxEntries} entries");
        }

        var inboxLength = (int)metadata.InboxLength;
        var historyLength = (int)metadata.HistoryLength;
        var keys = new List<string>(inboxLength + historyLength + 1) { CustomStatusKey(instanceId) };
        keys.AddRange(Enumerable.Range(0, inboxLength).Select(i => InboxKey(instanceId, i)));
        keys.AddRange(Enumerable.Range(0, historyLength).Select(i => HistoryKey(instanceId, i)));
        var items = (await store.BulkGetAsync(keys, ct)).ToDictionary(i => i.Key, StringComparer.Ordinal);

        var state = new InstanceState { InstanceId = instanceId, Generation = metadata.Generation, MetadataETag = metadataItem.ETag };
        for (var i = 0; i < inboxLength; i++)
        {
            var bytes = Required(items, InboxKey(instanceId, i), inboxLength, "inbox");
            state.Inbox.Add(HistoryEvent.Parser.ParseFrom(bytes));
            state.StoredInbox.Add(ByteString.CopyFrom(bytes));
        }

        for (var i = 0; i < historyLength; i++)
        {
            state.History.Add(HistoryEvent.Parser.ParseFrom(Required(items, HistoryKey(instanceId, i), historyLength, "history")));
        }

        state.StoredHistoryCount = historyLength;
        state.HistoryDirtyFrom = historyLength;
        if (items.TryGetValue(CustomStatusKey(instanceId), out var custom) && custom.Data is { Length: > 0 } customBytes)
        {
            state.CustomStatus = Google.Protobuf.WellKnownTypes.StringValue.Parser.ParseFrom(customBytes).Value;
        }

        return state;
    }

    /// <summary>
    /// Writes what changed since the last load or save in one transaction, as daprd's workflow actor does: new and
    /// moved inbox entries, new history entries, deletes of entries past the new lengths, the custom status when the
    /// history changed, and last the metadata guarded by the etag it had when loaded. A concurrent writer therefore
    /// makes the whole save fail with <see cref="ETagMismatchException"/> instead of interleaving with it.
    /// </summary>
    public async Task SaveAsync(InstanceState state, CancellationToken ct)
    {
        var id = state.InstanceId;
        var operations = new List<StateOperation>();
        var inbox = state.Inbox.Where(IsPersisted).Select(e => e.ToByteString()).ToList();
        for (var i = 0; i < inbox.Count; i++)
        {
            if (i >= state.StoredInbox.Count || !state.StoredInbox[i].Equals(inbox[i]))
            {
                operations.Add(Upsert(InboxKey(id, i), inbox[i]));
            }
        }

        for (var i = inbox.Count; i < state.StoredInbox.Count; i++)
        {
            operations.Add(new DeleteOperation(InboxKey(id, i)));
        }

        var historyChanged = state.HistoryDirtyFrom < state.History.Count || state.History.Count < state.StoredHistoryCount;
        for (var i = state.HistoryDirtyFrom; i < state.History.Count; i++)
        {
            operations.Add(Upsert(HistoryKey(id, i), state.History[i].ToByteString()));
        }

        for (var i = state.History.Count; i < state.StoredHistoryCount; i++)
        {
            operations.Add(new DeleteOperation(HistoryKey(id, i)));
        }

        if (historyChanged)
        {
            // daprd writes an empty StringValue when the workflow has no custom status.
            operations.Add(Upsert(CustomStatusKey(id), new Google.Protobuf.WellKnownTypes.StringValue { Value = state.CustomStatus ?? "" }.ToByteString()));
        }

        var metadata = new BackendWorkflowStateMetadata
        {
            InboxLength = (ulong)inbox.Count,
            HistoryLength = (ulong)state.History.Count,
            Generation = state.Generation,
        };
        operations.Add(new SetOperation(MetadataKey(id), new StateValue(metadata.ToByteArray(), IsJson: false), state.MetadataETag));

        var etags = await WithIndexAsync(id, live: !state.IsTerminal, operations, ct);

        state.StoredInbox = inbox;
        state.StoredHistoryCount = state.History.Count;
        state.HistoryDirtyFrom = state.History.Count;
        // The next save is guarded by the etag the store gave the metadata row now.
        state.MetadataETag = etags.GetValueOrDefault(MetadataKey(id));
    }

    /// <summary>Deletes every key of the instance and its index entry in one transaction.</summary>
    public async Task PurgeAsync(InstanceState state, CancellationToken ct)
    {
        var id = state.InstanceId;
        var operations = new List<StateOperation>();
        operations.AddRange(Enumerable.Range(0, state.StoredInbox.Count).Select(i => new DeleteOperation(InboxKey(id, i))));
        operations.AddRange(Enumerable.Range(0, state.StoredHistoryCount).Select(i => new DeleteOperation(HistoryKey(id, i))));
        operations.Add(new DeleteOperation(CustomStatusKey(id)));
        operations.Add(new DeleteOperation(MetadataKey(id), state.MetadataETag));
        await WithIndexAsync(id, live: false, operations, ct);
    }

    /// <summary>
    /// Runs the instance's operations, adding the index change to the same transaction when the instance joins or leaves
    /// the live index. Only then is the index gate taken: every other save runs alongside the saves of other instances.
    /// </summary>
    /// <returns>The etags of the keys the transaction set.</returns>
    private async Task<IReadOnlyDictionary<string, string>> WithIndexAsync(string instanceId, bool live, List<StateOperation> operations, CancellationToken ct)
    {
        if (_index.Members.Contains(instanceId) == live)
        {
            return await store.ExecuteTransactionReturningETagsAsync(operations, ct);
        }

        await _indexGate.WaitAsync(ct);
        try
        {
            var next = live ? LiveIndex.Of([.. _index.Ids, instanceId]) : LiveIndex.Of(_index.Ids.Where(id => id != instanceId));
            return await WriteIndexAsync(next, operations, ct);
        }
        finally
        {
            _indexGate.Release();
        }
    }

    /// <summary>Writes <paramref name="next"/> with <paramref name="operations"/> in one transaction; the caller holds the index gate.</summary>
    private async Task<IReadOnlyDictionary<string, string>> WriteIndexAsync(LiveIndex next, List<StateOperation> operations, CancellationToken ct)
    {
        if (next.Ids.Count == 0)
        {
            operations.Add(new DeleteOperation(IndexKey, _indexETag));
        }
        else
        {
            var value = new ListInstanceIDsResponse { InstanceIds = { next.Ids } };
            operations.Add(new SetOperation(IndexKey, new StateValue(value.ToByteArray(), IsJson: false), _indexETag));
        }

        var etags = await store.ExecuteTransactionReturningETagsAsync(operations, ct);
        _index = next;
        _indexETag = etags.GetValueOrDefault(IndexKey);
        return etags;
    }

    /// <summary>TimerFired events never reach the store: their durable home is the TimerCreated in the history (daprd: the reminder).</summary>
    private static bool IsPersisted(HistoryEvent e) => e.TimerFired is null;

    private static SetOperation Upsert(string key, ByteString value) => new(key, new StateValue(value.Memory, IsJson: false));

    private static byte[] Required(Dictionary<string, StateItem> items, string key, int declared, string what)
        => items.TryGetValue(key, out var item) && item.Data is not null
            ? item.Data
            : throw new StateStoreException($"workflow state key '{key}' is declared in the metadata ({what} length {declared}) but missing from the state store");

    private static BackendWorkflowStateMetadata ParseMetadata(string instanceId, byte[] bytes)
    {
        try
        {
            return BackendWorkflowStateMetadata.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException protobufError)
        {
            // daprd 1.14 wrote the metadata as JSON; daprd still reads it, so the sidecar does too.
            try
            {
                var legacy = JsonSerializer.Deserialize<LegacyMetadata>(bytes)
                             ?? throw new StateStoreException($"workflow '{instanceId}': metadata is JSON null");
                return new BackendWorkflowStateMetadata { InboxLength = legacy.InboxLength, HistoryLength = legacy.HistoryLength, Generation = legacy.Generation };
            }
            catch (JsonException)
            {
                throw new StateStoreException($"workflow '{instanceId}': metadata is neither BackendWorkflowStateMetadata nor daprd 1.14 JSON", protobufError);
            }
        }
    }

    private sealed record LegacyMetadata(ulong InboxLength, ulong HistoryLength, ulong Generation);
}
