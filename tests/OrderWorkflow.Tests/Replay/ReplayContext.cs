using System.Text.Json;
using System.Text.Json.Nodes;
using Dapr.DurableTask.Protobuf;
using Dapr.Workflow;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace OrderWorkflow.Tests.Replay;

/// <summary>
/// Runs workflow code against a recorded history, as the Dapr Workflow runtime does on every replay: each activity
/// the code schedules must be the next one the history recorded, with the same input, and gets the recorded result
/// back; external events and timeouts come from the history too. Any other decision is a divergence, which the
/// runtime would reject as non-determinism and which this context reports with what differed.
/// </summary>
public sealed class ReplayContext : WorkflowContext
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly Queue<HistoryEvent> _scheduled;
    private readonly Dictionary<int, HistoryEvent> _outcomes;
    private readonly Queue<EventRaisedEvent> _raised;
    private readonly DateTime _started;

    public ReplayContext(string name, string instanceId, IReadOnlyList<HistoryEvent> history)
    {
        Name = name;
        InstanceId = instanceId;
        _scheduled = new(history.Where(e => e.TaskScheduled is not null));
        _outcomes = history.Where(e => e.TaskCompleted is not null || e.TaskFailed is not null)
            .ToDictionary(e => e.TaskCompleted?.TaskScheduledId ?? e.TaskFailed.TaskScheduledId);
        _raised = new(history.Where(e => e.EventRaised is not null).Select(e => e.EventRaised));
        _started = history.First(e => e.WorkflowStarted is not null).Timestamp.ToDateTime();
    }

    /// <summary>The activities the code scheduled, in order, attempts included.</summary>
    public List<string> Decisions { get; } = [];

    public List<object?> CustomStatuses { get; } = [];

    /// <summary>Scheduled in the history but never asked for by the code: also a divergence.</summary>
    public IReadOnlyCollection<HistoryEvent> Unconsumed => _scheduled;

    public override string Name { get; }

    public override string InstanceId { get; }

    public override DateTime CurrentUtcDateTime => _started;

    public override bool IsReplaying => true;

    public override bool IsPatched(string patchName) => false;

    public override async Task<T> CallActivityAsync<T>(string name, object? input = null, WorkflowTaskOptions? options = null)
    {
        var attempts = options?.RetryPolicy?.MaxNumberOfAttempts ?? 1;
        for (var attempt = 1; ; attempt++)
        {
            if (!_scheduled.TryDequeue(out var recorded))
            {
                throw new ReplayDivergenceException($"the code scheduled {name} (attempt {attempt}) where the history has no more activities");
            }

            var scheduled = recorded.TaskScheduled;
            var expectedInput = JsonNode.Parse(string.IsNullOrEmpty(scheduled.Input) ? "null" : scheduled.Input);
            var actualInput = JsonSerializer.SerializeToNode(input, Json);
            if (scheduled.Name != name || !JsonNode.DeepEquals(expectedInput, actualInput))
            {
                throw new ReplayDivergenceException(
                    $"the code scheduled {name}({actualInput?.ToJsonString()}) where the history has {scheduled.Name}({scheduled.Input})");
            }

            Decisions.Add(name);
            if (!_outcomes.TryGetValue(recorded.EventId, out var outcome))
            {
                throw new ReplayDivergenceException($"the history has no outcome for {name} (event {recorded.EventId})");
            }

            if (outcome.TaskCompleted is { } completed)
            {
                return JsonSerializer.Deserialize<T>(completed.Result ?? "null", Json)!;
            }

            if (attempt >= attempts)
            {
                var failure = outcome.TaskFailed.FailureDetails;
                throw new WorkflowTaskFailedException($"{name} failed", new WorkflowTaskFailureDetails(failure.ErrorType, failure.ErrorMessage, failure.StackTrace));
            }

            await Task.Yield();
        }
    }

    public override async Task CallActivityAsync(string name, object? input = null, WorkflowTaskOptions? options = null) =>
        await CallActivityAsync<object?>(name, input, options);

    public override Task<T> WaitForExternalEventAsync<T>(string eventName, TimeSpan timeout)
    {
        if (_raised.TryPeek(out var raised) && string.Equals(raised.Name, eventName, StringComparison.OrdinalIgnoreCase))
        {
            _raised.Dequeue();
            return Task.FromResult(JsonSerializer.Deserialize<T>(raised.Input ?? "null", Json)!);
        }

        // No such event in the history: the recorded run timed out waiting.
        return Task.FromException<T>(new TaskCanceledException($"{eventName} timed out"));
    }

    public override Task<T> WaitForExternalEventAsync<T>(string eventName, CancellationToken cancellationToken = default) =>
        WaitForExternalEventAsync<T>(eventName, Timeout.InfiniteTimeSpan);

    public override Task CreateTimer(TimeSpan delay, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public override Task CreateTimer(DateTime fireAt, CancellationToken cancellationToken) => Task.CompletedTask;

    public override void SetCustomStatus(object? customStatus) => CustomStatuses.Add(customStatus);

    public override ILogger CreateReplaySafeLogger(string categoryName) => NullLogger.Instance;

    public override ILogger CreateReplaySafeLogger(Type type) => NullLogger.Instance;

    public override ILogger<T> CreateReplaySafeLogger<T>() => NullLogger<T>.Instance;

    public override void SendEvent(string instanceId, string eventName, object payload) =>
        throw new ReplayDivergenceException($"the code sent {eventName} to {instanceId}; the order saga sends no events");

    public override Task<TResult> CallChildWorkflowAsync<TResult>(string workflowName, object? input = null, ChildWorkflowTaskOptions? options = null) =>
        throw new ReplayDivergenceException($"the code called child workflow {workflowName}; the order saga calls none");

    public override Task CallChildWorkflowAsync(string workflowName, object? input = null, ChildWorkflowTaskOptions? options = null) =>
        throw new ReplayDivergenceException($"the code called child workflow {workflowName}; the order saga calls none");

    public override void ContinueAsNew(object? newInput = null, bool preserveUnprocessedEvents = true) =>
        throw new ReplayDivergenceException("the code continued as new; the order saga never does");

    public override Guid NewGuid() => throw new ReplayDivergenceException("the order saga makes no ids");

    public override Dapr.Workflow.PropagatedHistory? GetPropagatedHistory() => null;
}

public sealed class ReplayDivergenceException(string message) : Exception(message);
