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
/// One addition of the local sidecar: a marker per unfinished instance,
/// <c>{appId}||dapr.internal.{namespace}.{appId}.workflow.local-live||{instanceId}</c>. daprd finds its unfinished
/// instances again through its Scheduler reminders; without a Scheduler the sidecar scans these markers at start-up to
/// resume pending activities and timers. A marker is written in the transaction of the instance's first save and
/// deleted in the one that finishes it, so the markers are exactly the work in flight, and a save touches no key but
/// its own instance's: no list shared by every instance, rewritten whole under a lock on each start and finish (the
/// earlier design, <c>…workflow||local-index</c>, which the saga benchmark found held ~90 % of the time at 70 starts
/// per second, and which start-up still migrates). Listing all instances is a key scan of the metadata keys
/// (<see cref="ListInstanceIdsAsync"/>), as in daprd. The marker's key has three segments where actor keys have four,
/// so it can never collide with one, and daprd ignores it.
/// </para>
/// </summary>
public sealed class WorkflowStateStore(IStateStore store, string appId, string @namespace)
{
    private const int MaxEntries = 1_000_000;

    public string ActorType { get; } = $"dapr.internal.{@namespace}.{appId}.workflow";

    public string KeyPrefix(string instanceId) => $"{appId}{StateKeys.Separator}{ActorType}{StateKeys.Separator}{instanceId}{StateKeys.Separator}";

    public string MetadataKey(string instanceId) => KeyPrefix(instanceId) + "metadata";

    public string CustomStatusKey(string instanceId) => KeyPrefix(instanceId) + "customStatus";

    public string InboxKey(string instanceId, int index) => KeyPrefix(instanceId) + "inbox-" + index.ToString("D6", CultureInfo.InvariantCulture);

    public string HistoryKey(string instanceId, int index) => KeyPrefix(instanceId) + "history-" + index.ToString("D6", CultureInfo.InvariantCulture);

    /// <summary>The start of every live marker's key; the instance id follows.</summary>
    public string LiveMarkerPrefix => $"{appId}{StateKeys.Separator}{ActorType}.local-live{StateKeys.Separator}";

    public string LiveMarkerKey(string instanceId) => LiveMarkerPrefix + instanceId;

    /// <summary>Where sidecars before the live markers listed the unfinished instances, all in one value.</summary>
    public string LegacyIndexKey => $"{appId}{StateKeys.Separator}{ActorType}{StateKeys.Separator}local-index";

    /// <summary>
    /// The instances whose live marker is stored, found by a key scan. A list left by an earlier sidecar is first turned
    /// into markers and deleted, in one transaction, before anything runs.
    /// </summary>
    public async Task<IReadOnlyList<string>> LoadLiveInstanceIdsAsync(CancellationToken ct)
    {
        var legacy = await store.GetAsync(LegacyIndexKey, ct);
        if (legacy.ETag is not null)
        {
            var listed = legacy.Data is { Length: > 0 } data ? ListInstanceIDsResponse.Parser.ParseFrom(data).InstanceIds.Distinct(StringComparer.Ordinal) : [];
            var migration = listed.Select(id => (StateOperation)LiveMarker(id)).Append(new DeleteOperation(LegacyIndexKey, legacy.ETag)).ToList();
            await store.ExecuteTransactionAsync(migration, ct);
        }

        var keys = await store.KeysAsync(LiveMarkerPrefix, "", ct);
        return keys.Select(key => key[LiveMarkerPrefix.Length..]).ToList();
    }

    /// <summary>
    /// Deletes the markers of instances that turned out finished or missing at start-up: markers migrated from an earlier
    /// sidecar's list, or an instance purged by a daprd that shared the store (daprd knows nothing of the markers).
    /// </summary>
    public async Task ForgetFinishedAsync(IReadOnlyCollection<string> finished, CancellationToken ct)
    {
        if (finished.Count > 0)
        {
            await store.ExecuteTransactionAsync(finished.Select(id => (StateOperation)new DeleteOperation(LiveMarkerKey(id))).ToList(), ct);
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

        var live = !state.IsTerminal;
        if (state.LiveMarkerStored != live)
        {
            operations.Add(live ? LiveMarker(id) : new DeleteOperation(LiveMarkerKey(id)));
        }

        var etags = await store.ExecuteTransactionReturningETagsAsync(operations, ct);
        state.LiveMarkerStored = live;

        state.StoredInbox = inbox;
        state.StoredHistoryCount = state.History.Count;
        state.HistoryDirtyFrom = state.History.Count;
        // The next save is guarded by the etag the store gave the metadata row now.
        state.MetadataETag = etags.GetValueOrDefault(MetadataKey(id));
    }

    /// <summary>Deletes every key of the instance and its live marker in one transaction.</summary>
    public async Task PurgeAsync(InstanceState state, CancellationToken ct)
    {
        var id = state.InstanceId;
        var operations = new List<StateOperation>();
        operations.AddRange(Enumerable.Range(0, state.StoredInbox.Count).Select(i => new DeleteOperation(InboxKey(id, i))));
        operations.AddRange(Enumerable.Range(0, state.StoredHistoryCount).Select(i => new DeleteOperation(HistoryKey(id, i))));
        operations.Add(new DeleteOperation(CustomStatusKey(id)));
        operations.Add(new DeleteOperation(MetadataKey(id), state.MetadataETag));
        operations.Add(new DeleteOperation(LiveMarkerKey(id)));
        await store.ExecuteTransactionAsync(operations, ct);
        state.LiveMarkerStored = false;
    }

    /// <summary>TimerFired events never reach the store: their durable home is the TimerCreated in the history (daprd: the reminder).</summary>
    private static bool IsPersisted(HistoryEvent e) => e.TimerFired is null;

    /// <summary>The marker's value is the instance id, for whoever reads the store by hand; only its key is used.</summary>
    private SetOperation LiveMarker(string instanceId) => Upsert(LiveMarkerKey(instanceId), ByteString.CopyFromUtf8(instanceId));

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
