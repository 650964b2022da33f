using Dapr.DurableTask.Protobuf;
using Dapr.Testing;
using Grpc.Core;
using LocalSidecar.Tests.Infrastructure;

namespace LocalSidecar.Tests.Workflow;

/// <summary>
/// The worker's side of the protocol, played by hand (<see cref="RawWorker"/>): when an activity's result is
/// acknowledged, and which past events a turn carries to a worker that keeps histories (daprd's stateful history).
/// </summary>
[Collection(SharedServers.Collection)]
public abstract class WorkerProtocolTests(SharedServers servers) : WorkflowTestBase(servers)
{
    protected override bool ConnectsSdkWorker => false;

    [Fact]
    public async Task an_activity_result_is_acknowledged_once_the_turn_it_starts_is_saved_and_not_saved_on_its_own()
    {
        await using var worker = RawWorker.Connect(Sidecar.Host.GrpcEndpoint, statefulHistory: false);
        var id = NewId();
        var activity = await StartWithOneActivityAsync(worker, id);

        var acknowledged = worker.CompleteActivityAsync(activity, "\"out\"");
        var turn = await worker.NextAsync(Ct);

        Assert.Contains(turn.WorkflowRequest.NewEvents, e => e.TaskCompleted?.Result == "\"out\"");
        var stored = (await Layout.LoadAsync(id, Ct))!;
        Assert.DoesNotContain(stored.Inbox.Concat(stored.History), e => e.TaskCompleted is not null);
        Assert.NotSame(acknowledged, await Task.WhenAny(acknowledged, Task.Delay(TimeSpan.FromMilliseconds(500), Ct)));

        await worker.AnswerTurnAsync(turn, RawWorker.Complete(1, "\"done\""));

        await acknowledged.WaitAsync(Patience, Ct);
        stored = (await Layout.LoadAsync(id, Ct))!;
        Assert.Single(stored.History, e => e.TaskCompleted?.Result == "\"out\"");
        Assert.Equal(OrchestrationStatus.Completed, stored.Status);
    }

    [Fact]
    public async Task an_activity_result_lost_with_a_sidecar_that_never_saved_it_was_never_acknowledged_and_the_activity_runs_again()
    {
        var id = NewId();
        Task acknowledged;
        await using (var worker = RawWorker.Connect(Sidecar.Host.GrpcEndpoint, statefulHistory: false))
        {
            var activity = await StartWithOneActivityAsync(worker, id);
            acknowledged = worker.CompleteActivityAsync(activity, "\"lost\"");
            await worker.NextAsync(Ct);

            await RestartSidecarAsync();

            await Assert.ThrowsAsync<RpcException>(() => acknowledged.WaitAsync(Patience, Ct));
        }

        await using var next = RawWorker.Connect(Sidecar.Host.GrpcEndpoint, statefulHistory: false);
        var again = await next.NextAsync(Ct);
        Assert.Equal(("step", 0), (again.ActivityRequest?.Name, again.ActivityRequest?.TaskId));
        await next.CompleteActivityAsync(again, "\"kept\"");
        var turn = await next.NextAsync(Ct);
        await next.AnswerTurnAsync(turn, RawWorker.Complete(1, "\"done\""));

        var stored = (await Layout.LoadAsync(id, Ct))!;
        Assert.Equal(["\"kept\""], stored.History.Where(e => e.TaskCompleted is not null).Select(e => e.TaskCompleted.Result));
    }

    [Fact]
    public async Task a_worker_that_waits_for_the_acknowledgement_before_it_reads_on_gets_it_after_a_save_of_the_result_alone()
    {
        await using var worker = RawWorker.Connect(Sidecar.Host.GrpcEndpoint, statefulHistory: false);
        var id = NewId();
        var activity = await StartWithOneActivityAsync(worker, id);

        await worker.CompleteActivityAsync(activity, "\"out\"").WaitAsync(Patience, Ct);

        var stored = (await Layout.LoadAsync(id, Ct))!;
        Assert.Contains(stored.Inbox.Concat(stored.History), e => e.TaskCompleted?.Result == "\"out\"");
        var turn = await worker.NextAsync(Ct);
        await worker.AnswerTurnAsync(turn, RawWorker.Complete(1, "\"done\""));
        Assert.Equal(OrchestrationStatus.Completed, (await Layout.LoadAsync(id, Ct))!.Status);
    }

    [Fact]
    public async Task a_worker_that_keeps_histories_is_sent_only_the_past_events_it_has_not_seen()
    {
        await using var worker = RawWorker.Connect(Sidecar.Host.GrpcEndpoint, statefulHistory: true);
        var id = NewId();
        var first = await StartWithOneActivityAsync(worker, id);
        // Answers are acknowledged once the turn they start is saved, so they are awaited after that turn is answered.
        var acknowledged = new List<Task> { worker.CompleteActivityAsync(first, "\"one\"") };
        var second = await worker.NextAsync(Ct);
        // Turn 1 had no past events, so the worker holds none yet: turn 2 goes whole.
        Assert.Null(second.WorkflowRequest.CachedHistory);
        Assert.Equal(3, second.WorkflowRequest.PastEvents.Count);

        var third = await AnotherActivityAsync(worker, second, 1, "\"two\"", acknowledged);

        Assert.Equal(3, third.WorkflowRequest.CachedHistory?.EventCount);
        var history = (await worker.Sidecar.GetInstanceHistoryAsync(new GetInstanceHistoryRequest { InstanceId = id })).Events;
        Assert.Equal(6, history.Count);
        Assert.Equal(history.Skip(3), third.WorkflowRequest.PastEvents);
        Assert.Contains(third.WorkflowRequest.NewEvents, e => e.TaskCompleted?.Result == "\"two\"");
        await worker.AnswerTurnAsync(third, RawWorker.Complete(2, "\"done\""));
        await Task.WhenAll(acknowledged).WaitAsync(Patience, Ct);
    }

    [Fact]
    public async Task a_worker_that_does_not_keep_histories_or_has_reconnected_is_sent_the_whole_history()
    {
        var id = NewId();
        var acknowledged = new List<Task>();
        await using (var keeping = RawWorker.Connect(Sidecar.Host.GrpcEndpoint, statefulHistory: true))
        {
            var first = await StartWithOneActivityAsync(keeping, id);
            acknowledged.Add(keeping.CompleteActivityAsync(first, "\"one\""));
            await keeping.AnswerTurnAsync(await keeping.NextAsync(Ct), RawWorker.Schedule(1, "step"));
            await keeping.NextAsync(Ct);
            // The acknowledgement may still be on its way once the turn is answered; disposing the channel would cancel it.
            await Task.WhenAll(acknowledged).WaitAsync(Patience, Ct);
        }

        // The stream that held the second activity is gone, so the activity is handed to the next stream.
        await using (var reconnected = RawWorker.Connect(Sidecar.Host.GrpcEndpoint, statefulHistory: true))
        {
            acknowledged.Add(reconnected.CompleteActivityAsync(await reconnected.NextAsync(Ct), "\"two\""));
            var third = await reconnected.NextAsync(Ct);
            Assert.Null(third.WorkflowRequest.CachedHistory);
            Assert.Equal(6, third.WorkflowRequest.PastEvents.Count);
            var fourth = await AnotherActivityAsync(reconnected, third, 2, "\"three\"", acknowledged);
            Assert.Equal(6, fourth.WorkflowRequest.CachedHistory?.EventCount);
            await reconnected.AnswerTurnAsync(fourth, RawWorker.Complete(3, "\"done\""));
            await Task.WhenAll(acknowledged).WaitAsync(Patience, Ct);
        }

        // Streams compete for work items, so the worker without the capability comes alone.
        var plainId = NewId();
        await using var plain = RawWorker.Connect(Sidecar.Host.GrpcEndpoint, statefulHistory: false);
        acknowledged.Add(plain.CompleteActivityAsync(await StartWithOneActivityAsync(plain, plainId), "\"one\""));
        var plainThird = await AnotherActivityAsync(plain, await plain.NextAsync(Ct), 1, "\"two\"", acknowledged);
        Assert.Null(plainThird.WorkflowRequest.CachedHistory);
        Assert.Equal(6, plainThird.WorkflowRequest.PastEvents.Count);
        await plain.AnswerTurnAsync(plainThird, RawWorker.Complete(2, "\"done\""));
        await Task.WhenAll(acknowledged).WaitAsync(Patience, Ct);
    }

    /// <summary>
    /// Answers <paramref name="turn"/> with one more activity, completes that activity with <paramref name="result"/>
    /// (its acknowledgement joins <paramref name="acknowledged"/>) and returns the turn the result starts.
    /// </summary>
    private async Task<WorkItem> AnotherActivityAsync(RawWorker worker, WorkItem turn, int actionId, string result, List<Task> acknowledged)
    {
        await worker.AnswerTurnAsync(turn, RawWorker.Schedule(actionId, "step"));
        acknowledged.Add(worker.CompleteActivityAsync(await worker.NextAsync(Ct), result));
        return await worker.NextAsync(Ct);
    }

    /// <summary>Starts instance <paramref name="id"/>, answers its first turn with one activity and returns that activity's work item.</summary>
    private async Task<WorkItem> StartWithOneActivityAsync(RawWorker worker, string id)
    {
        // StartInstance answers once the first turn is saved, so it is awaited after the worker has answered that turn.
        var started = worker.Sidecar.StartInstanceAsync(new CreateInstanceRequest { InstanceId = id, Name = "raw", Input = "\"in\"" }).ResponseAsync;
        var first = await worker.NextAsync(Ct);
        Assert.Equal(id, first.WorkflowRequest?.InstanceId);
        await worker.AnswerTurnAsync(first, RawWorker.Schedule(0, "step"));
        await started.WaitAsync(Patience, Ct);
        var activity = await worker.NextAsync(Ct);
        Assert.Equal("step", activity.ActivityRequest?.Name);
        return activity;
    }
}

public sealed class RedisWorkerProtocolTests(SharedServers servers) : WorkerProtocolTests(servers)
{
    protected override StoreKind Kind => StoreKind.Redis;
}

public sealed class PostgresWorkerProtocolTests(SharedServers servers) : WorkerProtocolTests(servers)
{
    protected override StoreKind Kind => StoreKind.Postgres;
}
