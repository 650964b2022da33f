using Dapr.DurableTask.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace LocalSidecar.Workflow;

/// <summary>An event for another instance, sent once the turn that produced it is saved.</summary>
public sealed record OutgoingMessage(string TargetInstanceId, HistoryEvent Event);

/// <summary>What a committed turn sets in motion outside the instance's own state.</summary>
public sealed class TurnEffects
{
    public List<HistoryEvent> ScheduledTasks { get; } = [];
    public List<HistoryEvent> CreatedTimers { get; } = [];
    public List<OutgoingMessage> Messages { get; } = [];
    public bool Completed { get; set; }
    public bool ContinuedAsNew { get; set; }
}

/// <summary>
/// Turns a worker's answer into history, following durabletask-go's <c>runtimestate.Applier.Actions</c>: the turn's
/// new events go to the history first, then one event per action with <c>eventId = action.id</c>, because the SDK
/// matches its pending actions to TaskScheduled, TimerCreated, ChildWorkflowInstanceCreated and EventSent by that id
/// and would emit them again on every turn otherwise.
/// </summary>
public sealed class HistoryApplier(string appId, TimeProvider time)
{
    public TurnEffects Apply(InstanceState state, OrchestrationTurn turn, WorkflowResponse response)
    {
        var effects = new TurnEffects();
        if (response.Version is { } version && turn.NewEvents[0].WorkflowStarted is { } started)
        {
            // The SDK reads the workflow's version and patches back from the turn's WorkflowStarted on replay.
            started.Version = version;
        }

        foreach (var e in turn.NewEvents)
        {
            state.AppendHistory(e);
        }

        state.Inbox.RemoveRange(0, turn.ConsumedInboxCount);
        state.CustomStatus = response.CustomStatus;
        var startEvent = state.Started ?? throw new InvalidOperationException($"workflow '{state.InstanceId}' ran a turn without an ExecutionStarted event");

        foreach (var action in response.Actions)
        {
            var router = action.Router?.Clone() ?? new TaskRouter();
            router.SourceAppID = appId;
            switch (action.WorkflowActionTypeCase)
            {
                case WorkflowAction.WorkflowActionTypeOneofCase.ScheduleTask:
                    ScheduleTask(state, action, router, effects);
                    break;
                case WorkflowAction.WorkflowActionTypeOneofCase.CreateTimer:
                    var timer = new HistoryEvent { EventId = action.Id, Timestamp = Now(), Router = router, TimerCreated = TimerCreated(action.CreateTimer) };
                    state.AppendHistory(timer);
                    effects.CreatedTimers.Add(timer);
                    break;
                case WorkflowAction.WorkflowActionTypeOneofCase.SendEvent:
                    SendEvent(state, action, router, effects);
                    break;
                case WorkflowAction.WorkflowActionTypeOneofCase.CreateChildWorkflow:
                    CreateChild(state, startEvent, action, router, effects);
                    break;
                case WorkflowAction.WorkflowActionTypeOneofCase.TerminateWorkflow:
                    var terminate = action.TerminateWorkflow;
                    effects.Messages.Add(new OutgoingMessage(terminate.InstanceId, new HistoryEvent
                    {
                        EventId = -1,
                        Timestamp = Now(),
                        Router = router,
                        ExecutionTerminated = new ExecutionTerminatedEvent { Input = terminate.Reason, Recurse = terminate.Recurse },
                    }));
                    break;
                case WorkflowAction.WorkflowActionTypeOneofCase.CompleteWorkflow:
                    if (Complete(state, startEvent, action, router, effects))
                    {
                        // Continue-as-new replaces the whole run; durabletask-go ignores the actions after it.
                        return effects;
                    }

                    break;
                default:
                    Fail(state, action.Id, router, "Unimplemented",
                        $"the local sidecar does not implement the workflow action '{action.WorkflowActionTypeCase}'");
                    effects.Completed = true;
                    return effects;
            }
        }

        return effects;
    }

    private void ScheduleTask(InstanceState state, WorkflowAction action, TaskRouter router, TurnEffects effects)
    {
        var task = action.ScheduleTask;
        var scheduled = new HistoryEvent
        {
            EventId = action.Id,
            Timestamp = Now(),
            Router = router,
            TaskScheduled = new TaskScheduledEvent
            {
                Name = task.Name,
                Version = task.Version,
                Input = task.Input,
                TaskExecutionId = task.TaskExecutionId,
                HistoryPropagationScope = task.HistoryPropagationScope,
            },
        };
        state.AppendHistory(scheduled);
        if (IsOtherApp(router))
        {
            // Surfaces in the workflow as a failed activity it can handle, instead of a task that never completes.
            state.Inbox.Add(new HistoryEvent
            {
                EventId = -1,
                Timestamp = Now(),
                TaskFailed = new TaskFailedEvent
                {
                    TaskScheduledId = action.Id,
                    TaskExecutionId = task.TaskExecutionId,
                    FailureDetails = Unsupported($"activity '{task.Name}' targets app '{router.TargetAppID}': cross-app activities are not implemented by the local sidecar"),
                },
            });
            return;
        }

        effects.ScheduledTasks.Add(scheduled);
    }

    private void SendEvent(InstanceState state, WorkflowAction action, TaskRouter router, TurnEffects effects)
    {
        var send = action.SendEvent;
        var targetId = send.Instance?.InstanceId ?? "";
        state.AppendHistory(new HistoryEvent
        {
            EventId = action.Id,
            Timestamp = Now(),
            Router = router,
            EventSent = new EventSentEvent { InstanceId = targetId, Name = send.Name, Input = send.Data },
        });
        effects.Messages.Add(new OutgoingMessage(targetId, new HistoryEvent
        {
            EventId = -1,
            Timestamp = Now(),
            Router = router,
            EventRaised = new EventRaisedEvent { Name = send.Name, Input = send.Data },
        }));
    }

    private void CreateChild(InstanceState state, ExecutionStartedEvent parent, WorkflowAction action, TaskRouter router, TurnEffects effects)
    {
        var child = action.CreateChildWorkflow;
        var childId = string.IsNullOrEmpty(child.InstanceId) ? $"{state.InstanceId}:{action.Id:x4}" : child.InstanceId;
        state.AppendHistory(new HistoryEvent
        {
            EventId = action.Id,
            Timestamp = Now(),
            Router = router,
            ChildWorkflowInstanceCreated = new ChildWorkflowInstanceCreatedEvent
            {
                InstanceId = childId,
                Name = child.Name,
                Version = child.Version,
                Input = child.Input,
            },
        });
        if (IsOtherApp(router))
        {
            state.Inbox.Add(new HistoryEvent
            {
                EventId = -1,
                Timestamp = Now(),
                ChildWorkflowInstanceFailed = new ChildWorkflowInstanceFailedEvent
                {
                    TaskScheduledId = action.Id,
                    FailureDetails = Unsupported($"child workflow '{child.Name}' targets app '{router.TargetAppID}': cross-app workflows are not implemented by the local sidecar"),
                },
            });
            return;
        }

        effects.Messages.Add(new OutgoingMessage(childId, ChildStart(state.InstanceId, parent, action.Id, state.History[^1].ChildWorkflowInstanceCreated)));
    }

    /// <summary>The start event of a child workflow; also used to create a child again that a crash left uncreated.</summary>
    public HistoryEvent ChildStart(string parentId, ExecutionStartedEvent parent, int taskScheduledId, ChildWorkflowInstanceCreatedEvent created)
        => new()
        {
            EventId = -1,
            Timestamp = Now(),
            Router = new TaskRouter { SourceAppID = appId },
            ExecutionStarted = new ExecutionStartedEvent
            {
                Name = created.Name,
                Version = created.Version,
                Input = created.Input,
                WorkflowInstance = new WorkflowInstance { InstanceId = created.InstanceId, ExecutionId = Guid.NewGuid().ToString() },
                ParentInstance = new ParentInstanceInfo
                {
                    TaskScheduledId = taskScheduledId,
                    Name = parent.Name,
                    WorkflowInstance = new WorkflowInstance { InstanceId = parentId, ExecutionId = parent.WorkflowInstance?.ExecutionId },
                    AppID = appId,
                },
            },
        };

    /// <returns>True when the run continued as new and later actions must be ignored.</returns>
    private bool Complete(InstanceState state, ExecutionStartedEvent startEvent, WorkflowAction action, TaskRouter router, TurnEffects effects)
    {
        var complete = action.CompleteWorkflow;
        if (complete.WorkflowStatus == OrchestrationStatus.ContinuedAsNew)
        {
            // The next run starts from an empty history with its start event and the carried-over events in the inbox,
            // ahead of anything that arrived during this turn, so it is durable before the next turn runs.
            var restart = new List<HistoryEvent>
            {
                new()
                {
                    EventId = -1,
                    Timestamp = Now(),
                    Router = router,
                    ExecutionStarted = new ExecutionStartedEvent
                    {
                        Name = startEvent.Name,
                        Version = complete.NewVersion ?? startEvent.Version,
                        Input = complete.Result,
                        ParentInstance = startEvent.ParentInstance,
                        ParentTraceContext = startEvent.ParentTraceContext,
                        WorkflowInstance = new WorkflowInstance { InstanceId = state.InstanceId, ExecutionId = Guid.NewGuid().ToString() },
                        Tags = { startEvent.Tags },
                    },
                },
            };
            restart.AddRange(complete.CarryoverEvents);
            state.ResetHistory();
            state.Inbox.InsertRange(0, restart);
            effects.ContinuedAsNew = true;
            return true;
        }

        state.AppendHistory(new HistoryEvent
        {
            EventId = action.Id,
            Timestamp = Now(),
            Router = router,
            ExecutionCompleted = new ExecutionCompletedEvent
            {
                WorkflowStatus = complete.WorkflowStatus,
                Result = complete.Result,
                FailureDetails = complete.FailureDetails,
            },
        });
        effects.Completed = true;
        if (ParentNotice(state) is { } notice)
        {
            effects.Messages.Add(new OutgoingMessage(startEvent.ParentInstance.WorkflowInstance.InstanceId, notice));
        }

        if (complete.WorkflowStatus == OrchestrationStatus.Terminated && state.History.Any(e => e.ExecutionTerminated?.Recurse == true))
        {
            foreach (var child in state.PendingChildren())
            {
                effects.Messages.Add(new OutgoingMessage(child.ChildWorkflowInstanceCreated.InstanceId, new HistoryEvent
                {
                    EventId = -1,
                    Timestamp = Now(),
                    Router = router,
                    ExecutionTerminated = new ExecutionTerminatedEvent { Recurse = true },
                }));
            }
        }

        return false;
    }

    /// <summary>What a finished child tells its parent; null for a workflow without a parent or not finished.</summary>
    public HistoryEvent? ParentNotice(InstanceState child)
    {
        if (child.Started?.ParentInstance is not { } parent || child.CompletedEvent?.ExecutionCompleted is not { } completed)
        {
            return null;
        }

        var notice = new HistoryEvent { EventId = -1, Timestamp = Now(), Router = new TaskRouter { SourceAppID = appId } };
        if (completed.WorkflowStatus == OrchestrationStatus.Completed)
        {
            notice.ChildWorkflowInstanceCompleted = new ChildWorkflowInstanceCompletedEvent { TaskScheduledId = parent.TaskScheduledId, Result = completed.Result };
        }
        else
        {
            // A terminated child carries no failure details, as in daprd; the SDK then reports "Unknown message".
            notice.ChildWorkflowInstanceFailed = new ChildWorkflowInstanceFailedEvent { TaskScheduledId = parent.TaskScheduledId, FailureDetails = completed.FailureDetails };
        }

        return notice;
    }

    private void Fail(InstanceState state, int actionId, TaskRouter router, string errorType, string message)
        => state.AppendHistory(new HistoryEvent
        {
            EventId = actionId,
            Timestamp = Now(),
            Router = router,
            ExecutionCompleted = new ExecutionCompletedEvent
            {
                WorkflowStatus = OrchestrationStatus.Failed,
                FailureDetails = new TaskFailureDetails { ErrorType = errorType, ErrorMessage = message, IsNonRetriable = true },
            },
        });

    private static TimerCreatedEvent TimerCreated(CreateTimerAction timer)
    {
        var created = new TimerCreatedEvent { FireAt = timer.FireAt, Name = timer.Name };
        switch (timer.OriginCase)
        {
            case CreateTimerAction.OriginOneofCase.CreateTimer:
                created.CreateTimer = timer.CreateTimer;
                break;
            case CreateTimerAction.OriginOneofCase.ExternalEvent:
                created.ExternalEvent = timer.ExternalEvent;
                break;
            case CreateTimerAction.OriginOneofCase.ActivityRetry:
                created.ActivityRetry = timer.ActivityRetry;
                break;
            case CreateTimerAction.OriginOneofCase.ChildWorkflowRetry:
                created.ChildWorkflowRetry = timer.ChildWorkflowRetry;
                break;
        }

        return created;
    }

    private bool IsOtherApp(TaskRouter router) => !string.IsNullOrEmpty(router.TargetAppID) && router.TargetAppID != appId;

    private static TaskFailureDetails Unsupported(string message) => new() { ErrorType = "Unimplemented", ErrorMessage = message, IsNonRetriable = true };

    private Timestamp Now() => Timestamp.FromDateTimeOffset(time.GetUtcNow());
}
