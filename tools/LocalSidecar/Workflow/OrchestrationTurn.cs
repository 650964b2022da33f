using Dapr.DurableTask.Protobuf;

namespace LocalSidecar.Workflow;

/// <summary>
/// One orchestrator work item in flight: the events it delivers as new (a WorkflowStarted stamped now, then the inbox
/// as it was when the turn began) and how many inbox entries it consumes. Events arriving while it runs stay in the
/// inbox behind them and go into the next turn.
/// </summary>
public sealed record OrchestrationTurn(string CompletionToken, string? ExecutionId, IReadOnlyList<HistoryEvent> NewEvents, int ConsumedInboxCount);
