using Dapr.DurableTask.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace LocalSidecar.Workflow;

/// <summary>
/// Serialises everything that happens to one workflow instance, as daprd's workflow actor does: events join the inbox
/// and are saved before they are acknowledged, at most one orchestrator work item is in flight, and a finished turn is
/// applied and saved in one transaction before its activities, timers and messages are released. An activity's result
/// is the one event not saved on its own: the turn it starts is saved anyway, so its answer waits for that save, which
/// spares a transaction per activity.
/// <para>
/// When a save fails the in-memory state can no longer be trusted, so it is dropped and read again from the store
/// ("resync"); whatever the store says is pending — activities without a result, timers that have not fired, an inbox
/// waiting for a turn — is then set in motion again. The same resync resumes every live instance at start-up.
/// </para>
/// </summary>
public sealed class InstanceRunner(string instanceId, WorkflowRuntime runtime)
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    /// <summary>How long an activity result waits to be saved with the turn it started before it is saved on its own.</summary>
    private static readonly TimeSpan TurnSaveWait = TimeSpan.FromSeconds(1);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private InstanceState? _state;
    private bool _synced;
    private volatile bool _resyncScheduled;
    private OrchestrationTurn? _turn;
    private readonly List<TaskCompletionSource> _awaitingSave = [];
    private TaskCompletionSource _changed = NewSignal();

    public string InstanceId => instanceId;

    /// <summary>Whether the instance's state is held in memory; a finished one is not (see <see cref="ReleaseIfFinished"/>).</summary>
    public bool IsLoaded => Volatile.Read(ref _state) is not null;

    /// <summary>Completes at the next committed change; take it before reading the state to miss nothing.</summary>
    public Task Changed => Volatile.Read(ref _changed).Task;

    public async Task<T> ReadAsync<T>(Func<InstanceState?, T> read, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            await EnsureSyncedAsync(ct);
            var result = read(_state);
            ReleaseIfFinished();
            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Loads the instance and sets in motion whatever it was waiting for; used at start-up.</summary>
    public Task ResumeAsync(CancellationToken ct) => UnderGateAsync(_ => Task.CompletedTask, ct);

    /// <summary>
    /// Creates the instance, or recreates it when the id belongs to a finished one (daprd resets its state and raises
    /// the generation). A live instance with the same id is an error, except a child's create repeated by the same parent.
    /// </summary>
    public async Task<bool> CreateAsync(HistoryEvent start, CancellationToken ct)
    {
        var created = false;
        await UnderGateAsync(async state =>
        {
            var parent = start.ExecutionStarted.ParentInstance;
            if (state is not null && !state.IsTerminal)
            {
                var existingParent = (state.Started ?? state.PendingStart)?.ParentInstance;
                if (parent is not null && existingParent is not null
                    && existingParent.WorkflowInstance?.InstanceId == parent.WorkflowInstance?.InstanceId
                    && existingParent.TaskScheduledId == parent.TaskScheduledId)
                {
                    return;
                }

                // Current daprd returns AlreadyExists (older releases: Unknown); grpc-go keeps the executor's wrapping text.
                throw new RpcException(new Status(StatusCode.AlreadyExists,
                    $"failed to create orchestration instance: an active workflow with ID '{instanceId}' already exists"));
            }

            if (state is null)
            {
                state = _state = new InstanceState { InstanceId = instanceId, LiveMarkerStored = false };
            }
            else
            {
                state.ResetHistory();
                state.Inbox.Clear();
                state.CustomStatus = null;
                state.Generation++;
                runtime.Forget(instanceId);
            }

            state.Inbox.Add(start);
            await SaveAsync(state, ct);
            created = true;
        }, ct);
        return created;
    }

    /// <summary>Adds an event to the inbox. Events for a finished instance or an earlier run are dropped, as in daprd.</summary>
    /// <returns>False when the instance does not exist.</returns>
    public async Task<bool> AddEventAsync(HistoryEvent e, string? forExecutionId, CancellationToken ct)
    {
        var exists = true;
        Task? saved = null;
        await UnderGateAsync(async state =>
        {
            if (state is null)
            {
                exists = false;
                return;
            }

            if (state.IsTerminal || (forExecutionId is not null && state.ExecutionId != forExecutionId) || IsDuplicate(state, e))
            {
                runtime.Logger.LogDebug("Workflow {InstanceId}: dropped {Event} (finished, earlier run or duplicate)", instanceId, e.EventTypeCase);
                return;
            }

            state.Inbox.Add(e);
            if (e.TimerFired is not null)
            {
                return;
            }

            if (e.TaskCompleted is not null || e.TaskFailed is not null)
            {
                // An activity result is acknowledged once saved, like every event, but it need not be saved on its own: the
                // turn it starts (or the one in flight) is saved anyway, and that save holds it, so the answer waits for it.
                TryStartTurn();
                if (_turn is not null)
                {
                    saved = AwaitNextSave();
                    return;
                }
            }

            await SaveAsync(state, ct);
        }, ct);

        if (saved is not null)
        {
            await WaitUntilSavedAsync(saved, ct);
        }

        return exists;
    }

    /// <summary>
    /// Holds an activity result's answer until the save that holds it. A turn that takes longer than
    /// <see cref="TurnSaveWait"/> — slow, or not read yet because the worker waits for this answer first (the SDKs do
    /// not, but nothing in the protocol forbids it) — has the result saved on its own, as every other event is.
    /// </summary>
    private async Task WaitUntilSavedAsync(Task saved, CancellationToken ct)
    {
        using var held = CancellationTokenSource.CreateLinkedTokenSource(ct, runtime.Stopping);
        try
        {
            try
            {
                await saved.WaitAsync(TurnSaveWait, runtime.Time, held.Token);
            }
            catch (TimeoutException)
            {
                await UnderGateAsync(async state =>
                {
                    if (!saved.IsCompleted && state is not null)
                    {
                        await SaveAsync(state, ct);
                    }
                }, ct);
                await saved.WaitAsync(held.Token);
            }
        }
        catch (OperationCanceledException) when (runtime.Stopping.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "the sidecar is shutting down before the event was saved; the activity runs again"));
        }
    }

    public async Task CompleteTurnAsync(string token, WorkflowResponse response, CancellationToken ct)
    {
        TurnEffects? effects = null;
        await UnderGateAsync(async state =>
        {
            if (state is null || _turn is null || _turn.CompletionToken != token)
            {
                throw new RpcException(new Status(StatusCode.NotFound, $"unknown orchestration completion token \"{token}\""));
            }

            var turn = _turn;
            _turn = null;
            effects = runtime.Applier.Apply(state, turn, response);
            if (effects.Completed)
            {
                // Nothing that arrives for a finished instance is ever delivered; daprd drops it too.
                state.Inbox.Clear();
            }

            await SaveAsync(state, ct);
            Release(state, effects);
        }, ct);

        if (effects is not null)
        {
            // Outside the gate: a parent and its child may be delivering to each other at the same moment.
            foreach (var message in effects.Messages)
            {
                await runtime.DeliverAsync(message, ct);
            }
        }
    }

    /// <summary>Deletes a finished instance's keys; false when it does not exist.</summary>
    public async Task<InstanceState?> PurgeAsync(CancellationToken ct)
    {
        InstanceState? purged = null;
        await UnderGateAsync(async state =>
        {
            if (state is null)
            {
                return;
            }

            if (!state.IsTerminal)
            {
                throw new RpcException(new Status(StatusCode.Unknown, "failed to purge orchestration state: orchestration has not yet completed"));
            }

            await runtime.Store.PurgeAsync(state, ct);
            runtime.Forget(instanceId);
            _state = null;
            purged = state;
        }, ct);
        return purged;
    }

    /// <summary>Runs a step under the instance's gate, with the state synced, then starts a turn if one is due.</summary>
    private async Task UnderGateAsync(Func<InstanceState?, Task> step, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            await EnsureSyncedAsync(ct);
            await step(_state);
            TryStartTurn();
            ReleaseIfFinished();
        }
        catch (Exception e) when (e is not RpcException and not OperationCanceledException)
        {
            // A failed load or save (or a bug in applying a turn) leaves memory and store apart; only the store is trusted.
            ScheduleResync(e);
            throw new RpcException(new Status(StatusCode.Internal, $"workflow '{instanceId}': {e.Message}"));
        }
        finally
        {
            Signal();
            _gate.Release();
        }
    }

    /// <summary>
    /// A finished instance is read from the store when next asked for, not kept: a sidecar that runs sagas for hours
    /// would otherwise hold the whole history of every instance it ever ran. Nothing is pending for a finished instance
    /// (its timers and work items were dropped when it finished), so reading it again sets nothing in motion.
    /// </summary>
    private void ReleaseIfFinished()
    {
        if (_state is { IsTerminal: true } && _turn is null)
        {
            _state = null;
            _synced = false;
        }
    }

    private async Task EnsureSyncedAsync(CancellationToken ct)
    {
        if (_synced)
        {
            return;
        }

        _turn = null;
        runtime.Forget(instanceId);
        _state = await runtime.Store.LoadAsync(instanceId, ct);
        _synced = true;
        if (_state is not { IsTerminal: false } state)
        {
            return;
        }

        // Everything the store says is pending is set in motion again: at-least-once, as with daprd's reminders.
        foreach (var scheduled in state.PendingActivities())
        {
            runtime.DispatchActivity(state, scheduled);
        }

        foreach (var timer in state.PendingTimers())
        {
            ArmTimer(state, timer);
        }

        foreach (var child in state.PendingChildren())
        {
            _ = runtime.RecoverChildAsync(state, child, CancellationToken.None);
        }
    }

    private async Task SaveAsync(InstanceState state, CancellationToken ct)
    {
        await runtime.Store.SaveAsync(state, ct);
        foreach (var waiting in _awaitingSave)
        {
            waiting.TrySetResult();
        }

        _awaitingSave.Clear();
    }

    /// <summary>Completes when the next save of this instance succeeds; fails when memory is dropped before that.</summary>
    private Task AwaitNextSave()
    {
        var saved = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _awaitingSave.Add(saved);
        return saved.Task;
    }

    private void ScheduleResync(Exception cause)
    {
        runtime.Logger.LogError(cause, "Workflow {InstanceId}: the state could not be loaded or saved; it is read again from the store in {Delay}", instanceId, RetryDelay);
        // Events only memory held are gone with it; their senders hear so, and the activities behind them run again.
        foreach (var waiting in _awaitingSave)
        {
            waiting.TrySetException(new RpcException(new Status(StatusCode.Unavailable,
                $"workflow '{instanceId}': the event was not saved ({cause.Message}); the activity runs again")));
        }

        _awaitingSave.Clear();
        _synced = false;
        _turn = null;
        runtime.Forget(instanceId);
        if (!_resyncScheduled)
        {
            _resyncScheduled = true;
            runtime.Timers.Schedule(instanceId, runtime.Time.GetUtcNow() + RetryDelay, async ct =>
            {
                _resyncScheduled = false;
                await ResumeAsync(ct);
            });
        }
    }

    /// <summary>Hands the worker the next turn when the inbox has events and no turn is in flight.</summary>
    private void TryStartTurn()
    {
        if (_state is not { } state || _turn is not null || state.Inbox.Count == 0 || state.IsTerminal || !_synced)
        {
            return;
        }

        var now = runtime.Time.GetUtcNow();
        if (state.Started is null && state.PendingStart?.ScheduledStartTimestamp is { } startAt && startAt.ToDateTimeOffset() > now
            && !state.Inbox.Any(e => e.ExecutionTerminated is not null))
        {
            runtime.Timers.Schedule(instanceId, startAt.ToDateTimeOffset(), ResumeAsync);
            return;
        }

        // The SDK takes the WorkflowStarted timestamp as the workflow's clock; it must never be missing.
        var newEvents = new List<HistoryEvent>(state.Inbox.Count + 1)
        {
            new() { EventId = -1, Timestamp = Timestamp.FromDateTimeOffset(now), WorkflowStarted = new WorkflowStartedEvent() },
        };
        newEvents.AddRange(state.Inbox.Select(e => e.Clone()));
        var executionId = state.ExecutionId;
        _turn = new OrchestrationTurn(Guid.NewGuid().ToString(), executionId, newEvents, state.Inbox.Count);
        var request = new WorkflowRequest { InstanceId = instanceId, ExecutionId = executionId };
        request.PastEvents.AddRange(state.History.Select(e => e.Clone()));
        request.NewEvents.AddRange(newEvents.Select(e => e.Clone()));
        runtime.Dispatcher.Enqueue(new WorkItemDispatcher.OpenItem(
            new WorkItem { WorkflowRequest = request, CompletionToken = _turn.CompletionToken }, instanceId, executionId));
    }

    private void Release(InstanceState state, TurnEffects effects)
    {
        if (effects.Completed || effects.ContinuedAsNew)
        {
            // Results of the finished run's activities and timers can only be dropped now.
            runtime.Forget(instanceId);
        }

        if (effects.Completed)
        {
            return;
        }

        foreach (var scheduled in effects.ScheduledTasks)
        {
            runtime.DispatchActivity(state, scheduled);
        }

        foreach (var timer in effects.CreatedTimers)
        {
            ArmTimer(state, timer);
        }
    }

    private void ArmTimer(InstanceState state, HistoryEvent created)
    {
        var executionId = state.ExecutionId;
        var fired = new HistoryEvent
        {
            EventId = -1,
            TimerFired = new TimerFiredEvent { TimerId = created.EventId, FireAt = created.TimerCreated.FireAt },
        };
        runtime.Timers.Schedule(instanceId, created.TimerCreated.FireAt.ToDateTimeOffset(), ct =>
        {
            var e = fired.Clone();
            e.Timestamp = Timestamp.FromDateTimeOffset(runtime.Time.GetUtcNow());
            return AddEventAsync(e, executionId, ct);
        });
    }

    private static bool IsDuplicate(InstanceState state, HistoryEvent e)
    {
        var events = state.History.Concat(state.Inbox);
        return e.EventTypeCase switch
        {
            HistoryEvent.EventTypeOneofCase.TimerFired => events.Any(x => x.TimerFired?.TimerId == e.TimerFired.TimerId),
            HistoryEvent.EventTypeOneofCase.TaskCompleted or HistoryEvent.EventTypeOneofCase.TaskFailed =>
                events.Any(x => (x.TaskCompleted?.TaskScheduledId ?? x.TaskFailed?.TaskScheduledId) == (e.TaskCompleted?.TaskScheduledId ?? e.TaskFailed.TaskScheduledId)),
            HistoryEvent.EventTypeOneofCase.ChildWorkflowInstanceCompleted or HistoryEvent.EventTypeOneofCase.ChildWorkflowInstanceFailed =>
                events.Any(x => (x.ChildWorkflowInstanceCompleted?.TaskScheduledId ?? x.ChildWorkflowInstanceFailed?.TaskScheduledId)
                                == (e.ChildWorkflowInstanceCompleted?.TaskScheduledId ?? e.ChildWorkflowInstanceFailed.TaskScheduledId)),
            _ => false,
        };
    }

    private void Signal() => Interlocked.Exchange(ref _changed, NewSignal()).TrySetResult();

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
