using Dapr.DurableTask.Protobuf;
using Google.Protobuf;

namespace LocalSidecar.Workflow;

/// <summary>
/// One workflow instance as daprd's workflow actor holds it (dapr <c>pkg/runtime/wfengine/state</c>): pending events in
/// the inbox, the committed history, the custom status and a generation that grows each time the id is reused. The
/// status is derived from the history alone, as durabletask-go's <c>runtimestate</c> derives it, so an instance whose
/// start event still waits in the inbox is PENDING.
/// </summary>
public sealed class InstanceState
{
    public required string InstanceId { get; init; }

    public List<HistoryEvent> Inbox { get; } = [];

    public List<HistoryEvent> History { get; } = [];

    public string? CustomStatus { get; set; }

    public ulong Generation { get; set; } = 1;

    /// <summary>The metadata row's etag when this state was loaded or last saved; null for an instance never saved.</summary>
    public string? MetadataETag { get; set; }

    /// <summary>What the store holds, so a save writes only what changed (see <see cref="WorkflowStateStore"/>).</summary>
    internal List<ByteString> StoredInbox { get; set; } = [];

    internal int StoredHistoryCount { get; set; }

    /// <summary>History entries from this index on are not in the store yet (0 after a reset).</summary>
    internal int HistoryDirtyFrom { get; set; }

    internal bool CustomStatusDirty { get; set; }

    /// <summary>
    /// Whether the store holds this instance's live marker (see <see cref="WorkflowStateStore"/>): false for an instance
    /// never saved, null for one loaded from the store (not read), so its next save writes or deletes the marker.
    /// </summary>
    internal bool? LiveMarkerStored { get; set; }

    public ExecutionStartedEvent? Started => History.FirstOrDefault(e => e.ExecutionStarted is not null)?.ExecutionStarted;

    public HistoryEvent? CompletedEvent => History.LastOrDefault(e => e.ExecutionCompleted is not null);

    public bool IsTerminal => CompletedEvent is not null;

    public string? ExecutionId => (Started ?? PendingStart)?.WorkflowInstance?.ExecutionId;

    /// <summary>The start event of an instance created but not run yet (or of the next run after continue-as-new).</summary>
    public ExecutionStartedEvent? PendingStart => Inbox.FirstOrDefault(e => e.ExecutionStarted is not null)?.ExecutionStarted;

    public OrchestrationStatus Status
    {
        get
        {
            if (Started is null)
            {
                return OrchestrationStatus.Pending;
            }

            if (CompletedEvent is { } completed)
            {
                return completed.ExecutionCompleted.WorkflowStatus;
            }

            var lastSuspendOrResume = History.LastOrDefault(e => e.ExecutionSuspended is not null || e.ExecutionResumed is not null);
            return lastSuspendOrResume?.ExecutionSuspended is not null ? OrchestrationStatus.Suspended : OrchestrationStatus.Running;
        }
    }

    public void AppendHistory(HistoryEvent e) => History.Add(e);

    /// <summary>Drops the history, as continue-as-new and the reuse of a finished instance id do.</summary>
    public void ResetHistory()
    {
        History.Clear();
        HistoryDirtyFrom = 0;
        CustomStatusDirty = true;
    }

    /// <summary>TaskScheduled events whose result is neither in the history nor waiting in the inbox.</summary>
    public IEnumerable<HistoryEvent> PendingActivities()
    {
        var done = History.Concat(Inbox)
            .Select(e => e.TaskCompleted?.TaskScheduledId ?? e.TaskFailed?.TaskScheduledId)
            .OfType<int>()
            .ToHashSet();
        return History.Where(e => e.TaskScheduled is not null && !done.Contains(e.EventId));
    }

    /// <summary>TimerCreated events that have not fired into the history or the inbox.</summary>
    public IEnumerable<HistoryEvent> PendingTimers()
    {
        var fired = History.Concat(Inbox).Where(e => e.TimerFired is not null).Select(e => e.TimerFired.TimerId).ToHashSet();
        return History.Where(e => e.TimerCreated is not null && !fired.Contains(e.EventId));
    }

    /// <summary>Child workflows created by this run that have not reported back.</summary>
    public IEnumerable<HistoryEvent> PendingChildren()
    {
        var done = History.Concat(Inbox)
            .Select(e => e.ChildWorkflowInstanceCompleted?.TaskScheduledId ?? e.ChildWorkflowInstanceFailed?.TaskScheduledId)
            .OfType<int>()
            .ToHashSet();
        return History.Where(e => e.ChildWorkflowInstanceCreated is not null && !done.Contains(e.EventId));
    }
}
