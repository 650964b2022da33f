using System.Collections.Concurrent;
using Dapr.DurableTask.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using LocalSidecar.Hosting;
using LocalSidecar.State;
using ProtoWorkflowState = Dapr.DurableTask.Protobuf.WorkflowState;

namespace LocalSidecar.Workflow;

/// <summary>
/// The workflow engine of one sidecar: the instances of its app, the work item dispatcher its worker connects to, and
/// the timers. It lives as long as the sidecar; at start-up it resumes every instance the store lists as unfinished.
/// Like daprd it needs the actor state store (a state component with <c>actorStateStore: "true"</c>); without one,
/// every workflow call fails with FailedPrecondition naming what is missing.
/// </summary>
public sealed class WorkflowRuntime : IHostedService, IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, InstanceRunner> _runners = new(StringComparer.Ordinal);
    private readonly WorkflowStateStore? _store;

    public WorkflowRuntime(SidecarOptions options, StateStoreRegistry stateStores, TimeProvider time, ILoggerFactory loggers, IHostApplicationLifetime lifetime)
    {
        Logger = loggers.CreateLogger("LocalSidecar.Workflow");
        Time = time;
        Stopping = lifetime.ApplicationStopping;
        AppId = options.AppId;
        if (stateStores.ActorStateStore is { } actorStore)
        {
            _store = new WorkflowStateStore(actorStore.Store, options.AppId, options.Namespace ?? "default");
        }

        Applier = new HistoryApplier(options.AppId, time);
        Dispatcher = new WorkItemDispatcher(Logger);
        Timers = new DurableTimers(time, Logger);
    }

    public string AppId { get; }
    public ILogger Logger { get; }
    public TimeProvider Time { get; }
    public HistoryApplier Applier { get; }
    public WorkItemDispatcher Dispatcher { get; }
    public DurableTimers Timers { get; }

    /// <summary>Ends held calls and work item streams when the sidecar stops, so it can stop at once.</summary>
    public CancellationToken Stopping { get; }

    public WorkflowStateStore Store => _store ?? throw new RpcException(new Status(StatusCode.FailedPrecondition,
        "the workflow engine needs an actor state store: a state store component with metadata actorStateStore: \"true\""));

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_store is null)
        {
            return;
        }

        var ids = await _store.LoadLiveInstanceIdsAsync(cancellationToken);
        var finished = new List<string>();
        foreach (var id in ids)
        {
            try
            {
                var runner = Runner(id);
                await runner.ResumeAsync(cancellationToken);
                // Resuming keeps only an unfinished instance in memory: a finished or missing one is released at once.
                if (!runner.IsLoaded)
                {
                    finished.Add(id);
                }
            }
            catch (RpcException e)
            {
                // One unreadable instance must not keep the others, or the sidecar, from starting; it retries by itself.
                Logger.LogError(e, "Workflow {InstanceId} could not be resumed at start-up", id);
            }
        }

        // Only markers migrated from an earlier sidecar's list, or left by a daprd purge, name finished or missing instances.
        await _store.ForgetFinishedAsync(finished, cancellationToken);
        Logger.LogInformation("Workflow engine ready: {Count} unfinished instance(s) resumed from the actor state store", ids.Count - finished.Count);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public ValueTask DisposeAsync() => Timers.DisposeAsync();

    public InstanceRunner Runner(string instanceId) => _runners.GetOrAdd(instanceId, id => new InstanceRunner(id, this));

    /// <summary>Drops the timers and the open work items of an instance whose run ended or whose state is reloaded.</summary>
    public void Forget(string instanceId)
    {
        Timers.CancelAll(instanceId);
        Dispatcher.Cancel(instanceId, _ => true);
    }

    public void DispatchActivity(InstanceState state, HistoryEvent scheduled)
    {
        var task = scheduled.TaskScheduled;
        var request = new ActivityRequest
        {
            Name = task.Name,
            Version = task.Version,
            Input = task.Input,
            WorkflowInstance = new WorkflowInstance { InstanceId = state.InstanceId, ExecutionId = state.ExecutionId },
            TaskId = scheduled.EventId,
            TaskExecutionId = task.TaskExecutionId,
            ParentTraceContext = task.ParentTraceContext,
        };
        Dispatcher.Enqueue(new WorkItemDispatcher.OpenItem(
            new WorkItem { ActivityRequest = request, CompletionToken = Guid.NewGuid().ToString() }, state.InstanceId, state.ExecutionId));
    }

    /// <summary>Delivers an event a committed turn produced for another instance. The turn stands whatever happens here.</summary>
    public async Task DeliverAsync(OutgoingMessage message, CancellationToken ct)
    {
        var target = Runner(message.TargetInstanceId);
        try
        {
            if (message.Event.ExecutionStarted is not null)
            {
                await target.CreateAsync(message.Event, ct);
            }
            else if (!await target.AddEventAsync(message.Event, null, ct))
            {
                Logger.LogWarning("Workflow event {Event} for instance {InstanceId} dropped: no such instance exists", message.Event.EventTypeCase, message.TargetInstanceId);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Logger.LogError(e, "Workflow event {Event} for instance {InstanceId} could not be delivered", message.Event.EventTypeCase, message.TargetInstanceId);
        }
    }

    /// <summary>
    /// After a restart, repairs what a crash between a parent's save and the delivery to its child may have lost: a
    /// child that was never created is created, a child that finished unnoticed reports to its parent.
    /// </summary>
    public Task RecoverChildAsync(InstanceState parent, HistoryEvent created, CancellationToken ct)
    {
        var parentId = parent.InstanceId;
        var parentStart = parent.Started!.Clone();
        var createdEvent = created.ChildWorkflowInstanceCreated.Clone();
        var taskId = created.EventId;
        return Task.Run(async () =>
        {
            try
            {
                var child = Runner(createdEvent.InstanceId);
                var notice = await child.ReadAsync(s => s is null ? null : Applier.ParentNotice(s), ct);
                var exists = await child.ReadAsync(s => s is not null, ct);
                if (!exists)
                {
                    await DeliverAsync(new OutgoingMessage(createdEvent.InstanceId, Applier.ChildStart(parentId, parentStart, taskId, createdEvent)), ct);
                }
                else if (notice is not null)
                {
                    await DeliverAsync(new OutgoingMessage(parentId, notice), ct);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Logger.LogError(e, "Child workflow {ChildId} of {InstanceId} could not be checked after a restart", createdEvent.InstanceId, parentId);
            }
        }, ct);
    }

    public async Task<string> StartInstanceAsync(CreateInstanceRequest request, CancellationToken ct)
    {
        var instanceId = string.IsNullOrEmpty(request.InstanceId) ? Guid.NewGuid().ToString() : request.InstanceId;
        if (instanceId.Contains(StateKeys.Separator, StringComparison.Ordinal))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"workflow instance id '{instanceId}' must not contain '{StateKeys.Separator}'"));
        }

        _ = Store;
        var start = new HistoryEvent
        {
            EventId = -1,
            Timestamp = Timestamp.FromDateTimeOffset(Time.GetUtcNow()),
            ExecutionStarted = new ExecutionStartedEvent
            {
                Name = request.Name,
                Version = request.Version,
                Input = request.Input,
                WorkflowInstance = new WorkflowInstance
                {
                    InstanceId = instanceId,
                    ExecutionId = string.IsNullOrEmpty(request.ExecutionId) ? Guid.NewGuid().ToString() : request.ExecutionId,
                },
                ScheduledStartTimestamp = request.ScheduledStartTimestamp,
                ParentTraceContext = request.ParentTraceContext,
                Tags = { request.Tags },
            },
        };
        await Runner(instanceId).CreateAsync(start, ct);
        if (request.ScheduledStartTimestamp is null)
        {
            // daprd's StartInstance returns once the instance has left PENDING, unless it starts later.
            await WaitAsync(instanceId, false, s => s.Status != OrchestrationStatus.Pending, ct);
        }

        return instanceId;
    }

    public async Task<GetInstanceResponse> GetInstanceAsync(string instanceId, bool withInputsAndOutputs, CancellationToken ct)
    {
        _ = Store;
        return await Runner(instanceId).ReadAsync(s => Describe(s, withInputsAndOutputs), ct);
    }

    /// <summary>Holds the call until the condition holds, the instance is gone, the caller gives up or the sidecar stops.</summary>
    public async Task<GetInstanceResponse> WaitAsync(string instanceId, bool withInputsAndOutputs, Func<InstanceState, bool> condition, CancellationToken ct)
    {
        _ = Store;
        using var held = CancellationTokenSource.CreateLinkedTokenSource(ct, Stopping);
        var runner = Runner(instanceId);
        try
        {
            while (true)
            {
                var changed = runner.Changed;
                var (done, response) = await runner.ReadAsync(s => (s is null || condition(s), Describe(s, withInputsAndOutputs)), held.Token);
                if (done)
                {
                    return response;
                }

                await changed.WaitAsync(held.Token);
            }
        }
        catch (OperationCanceledException) when (Stopping.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "the sidecar is shutting down"));
        }
    }

    public static bool IsFinished(InstanceState s) => s.IsTerminal;

    public Task RaiseEventAsync(RaiseEventRequest request, CancellationToken ct)
        => AddExternalAsync(request.InstanceId, new HistoryEvent { EventRaised = new EventRaisedEvent { Name = request.Name, Input = request.Input } }, ct);

    public async Task TerminateAsync(TerminateRequest request, CancellationToken ct)
    {
        await AddExternalAsync(request.InstanceId, new HistoryEvent
        {
            ExecutionTerminated = new ExecutionTerminatedEvent { Input = request.Output, Recurse = request.Recursive },
        }, ct);
        await WaitAsync(request.InstanceId, false, IsFinished, ct);
    }

    public async Task SuspendAsync(SuspendRequest request, CancellationToken ct)
    {
        await AddExternalAsync(request.InstanceId, new HistoryEvent
        {
            ExecutionSuspended = new ExecutionSuspendedEvent { Input = string.IsNullOrEmpty(request.Reason) ? null : request.Reason },
        }, ct);
        await WaitAsync(request.InstanceId, false, s => s.Status == OrchestrationStatus.Suspended || s.IsTerminal, ct);
    }

    public async Task ResumeAsync(ResumeRequest request, CancellationToken ct)
    {
        await AddExternalAsync(request.InstanceId, new HistoryEvent
        {
            ExecutionResumed = new ExecutionResumedEvent { Input = string.IsNullOrEmpty(request.Reason) ? null : request.Reason },
        }, ct);
        await WaitAsync(request.InstanceId, false, s => s.Status == OrchestrationStatus.Running || s.IsTerminal, ct);
    }

    public async Task<int> PurgeAsync(string instanceId, bool recursive, CancellationToken ct)
    {
        _ = Store;
        var purged = await Runner(instanceId).PurgeAsync(ct)
                     ?? throw new RpcException(new Status(StatusCode.Unknown, "failed to purge orchestration state: no such instance exists"));
        var count = 1;
        if (recursive)
        {
            foreach (var childId in purged.History.Select(e => e.ChildWorkflowInstanceCreated?.InstanceId).OfType<string>().Distinct())
            {
                if (await Runner(childId).PurgeAsync(ct) is not null)
                {
                    count++;
                }
            }
        }

        return count;
    }

    public async Task<GetInstanceHistoryResponse> GetHistoryAsync(string instanceId, CancellationToken ct)
    {
        _ = Store;
        var events = await Runner(instanceId).ReadAsync(s => s?.History.Select(e => e.Clone()).ToList(), ct)
                     ?? throw new RpcException(new Status(StatusCode.NotFound, $"no such instance exists: '{instanceId}'"));
        return new GetInstanceHistoryResponse { Events = { events } };
    }

    public async Task<ListInstanceIDsResponse> ListInstanceIdsAsync(ListInstanceIDsRequest request, CancellationToken ct)
    {
        var ids = await Store.ListInstanceIdsAsync(ct);
        var from = 0;
        if (!string.IsNullOrEmpty(request.ContinuationToken) && !int.TryParse(request.ContinuationToken, out from))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"invalid continuation token '{request.ContinuationToken}'"));
        }

        var size = request.PageSize == 0 ? ids.Count : (int)Math.Min(request.PageSize, int.MaxValue);
        var page = ids.Skip(from).Take(size).ToList();
        var response = new ListInstanceIDsResponse { InstanceIds = { page } };
        if (from + page.Count < ids.Count)
        {
            response.ContinuationToken = (from + page.Count).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return response;
    }

    public async Task CompleteOrchestratorAsync(WorkflowResponse response, CancellationToken ct)
    {
        if (!Dispatcher.TryComplete(response.CompletionToken, out var item) || item.WorkItem.WorkflowRequest is null)
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"unknown orchestration completion token \"{response.CompletionToken}\""));
        }

        await Runner(item.InstanceId).CompleteTurnAsync(response.CompletionToken, response, ct);
    }

    public async Task CompleteActivityAsync(ActivityResponse response, CancellationToken ct)
    {
        if (!Dispatcher.TryComplete(response.CompletionToken, out var item) || item.WorkItem.ActivityRequest is not { } request)
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"unknown activity completion token \"{response.CompletionToken}\""));
        }

        var result = new HistoryEvent { EventId = -1, Timestamp = Timestamp.FromDateTimeOffset(Time.GetUtcNow()) };
        if (response.FailureDetails is { } failure)
        {
            result.TaskFailed = new TaskFailedEvent { TaskScheduledId = request.TaskId, TaskExecutionId = request.TaskExecutionId, FailureDetails = failure };
        }
        else
        {
            result.TaskCompleted = new TaskCompletedEvent { TaskScheduledId = request.TaskId, TaskExecutionId = request.TaskExecutionId, Result = response.Result };
        }

        await Runner(item.InstanceId).AddEventAsync(result, item.ExecutionId, ct);
    }

    private async Task AddExternalAsync(string instanceId, HistoryEvent e, CancellationToken ct)
    {
        _ = Store;
        e.EventId = -1;
        e.Timestamp = Timestamp.FromDateTimeOffset(Time.GetUtcNow());
        if (!await Runner(instanceId).AddEventAsync(e, null, ct))
        {
            // daprd's executor looks the instance up first and passes the backend's plain error on, which gRPC sends as Unknown.
            throw new RpcException(new Status(StatusCode.Unknown, "failed to get orchestration metadata: no such instance exists"));
        }
    }

    private static GetInstanceResponse Describe(InstanceState? s, bool withInputsAndOutputs)
    {
        if (s is null)
        {
            return new GetInstanceResponse { Exists = false };
        }

        var startedEvent = s.History.FirstOrDefault(e => e.ExecutionStarted is not null);
        var started = startedEvent?.ExecutionStarted;
        var completed = s.CompletedEvent;
        var state = new ProtoWorkflowState
        {
            InstanceId = s.InstanceId,
            Name = started?.Name ?? "",
            Version = started?.Version,
            WorkflowStatus = s.Status,
            ScheduledStartTimestamp = started?.ScheduledStartTimestamp,
            CreatedTimestamp = startedEvent?.Timestamp,
            LastUpdatedTimestamp = s.History.LastOrDefault()?.Timestamp,
            StartedAt = s.History.FirstOrDefault()?.Timestamp,
            CompletedTimestamp = completed?.Timestamp,
            ExecutionId = started?.WorkflowInstance?.ExecutionId,
            ParentInstanceId = started?.ParentInstance?.WorkflowInstance?.InstanceId,
        };
        if (started is not null)
        {
            state.Tags.Add(started.Tags);
        }

        if (withInputsAndOutputs)
        {
            state.Input = started?.Input;
            state.Output = completed?.ExecutionCompleted.Result;
            state.CustomStatus = s.CustomStatus;
            state.FailureDetails = completed?.ExecutionCompleted.FailureDetails;
        }

        return new GetInstanceResponse { Exists = true, WorkflowState = state };
    }
}
