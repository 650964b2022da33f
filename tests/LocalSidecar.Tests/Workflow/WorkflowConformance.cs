using Dapr.Testing;
using Dapr.Workflow;
using Grpc.Core;
using LocalSidecar.State;
using LocalSidecar.Tests.Infrastructure;
using LocalSidecar.Workflow;
using Microsoft.Extensions.DependencyInjection;

namespace LocalSidecar.Tests.Workflow;

/// <summary>
/// Dapr Workflow through the real Dapr.Workflow 1.19 worker and <see cref="DaprWorkflowClient"/>, against the local
/// sidecar with an actor state store of each kind. Every behaviour here is one a workflow app relies on under daprd.
/// </summary>
[Collection(SharedServers.Collection)]
public abstract class WorkflowConformance(SharedServers servers) : WorkflowTestBase(servers)
{
    [Fact]
    public async Task a_chain_of_three_activities_completes_with_their_output()
    {
        var state = await RunAsync(TestWorkflows.Chain, "order");

        Assert.Equal(WorkflowRuntimeStatus.Completed, state.RuntimeStatus);
        Assert.Equal("order-1-2-3", state.ReadOutputAs<string>());
        Assert.Equal(3, Probe.Count("Append"));
    }

    [Fact]
    public async Task an_activity_failure_fails_the_workflow_with_the_failure_details()
    {
        var state = await RunAsync(TestWorkflows.FailsInActivity, "x");

        Assert.Equal(WorkflowRuntimeStatus.Failed, state.RuntimeStatus);
        Assert.NotNull(state.FailureDetails);
        Assert.Contains("boom: x", state.FailureDetails.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(typeof(WorkflowTaskFailedException).FullName, state.FailureDetails.ErrorType);
    }

    [Fact]
    public async Task a_retry_policy_runs_a_failing_activity_again_until_it_succeeds()
    {
        var state = await RunAsync(TestWorkflows.Retries, "job");

        Assert.Equal(WorkflowRuntimeStatus.Completed, state.RuntimeStatus);
        Assert.Equal("job after 3 attempts", state.ReadOutputAs<string>());
        Assert.Equal(3, Probe.Count("Flaky"));
    }

    [Fact]
    public async Task a_durable_timer_fires_after_its_delay()
    {
        var state = await RunAsync(TestWorkflows.Sleeps, 1000);

        Assert.Equal(WorkflowRuntimeStatus.Completed, state.RuntimeStatus);
        // The workflow's clock is the WorkflowStarted timestamp of the turn the timer fired in.
        Assert.InRange(state.ReadOutputAs<double>(), 1000, 30_000);
    }

    [Fact]
    public async Task an_external_event_raised_before_the_timeout_is_received()
    {
        var id = await Client.ScheduleNewWorkflowAsync(TestWorkflows.AwaitsApproval, NewId(), 30_000);

        await Client.RaiseEventAsync(id, "approval", "alice");

        var state = await CompletionAsync(id);
        Assert.Equal("approved by alice", state.ReadOutputAs<string>());
    }

    [Fact]
    public async Task an_external_event_wait_times_out_when_nothing_is_raised()
    {
        var state = await RunAsync(TestWorkflows.AwaitsApproval, 500);

        Assert.Equal(WorkflowRuntimeStatus.Completed, state.RuntimeStatus);
        Assert.Equal("timed out", state.ReadOutputAs<string>());
    }

    [Fact]
    public async Task terminate_ends_a_waiting_workflow_as_terminated()
    {
        var id = await Client.ScheduleNewWorkflowAsync(TestWorkflows.AwaitsApproval, NewId(), 0);

        await Client.TerminateWorkflowAsync(id, "enough");

        var state = await Client.GetWorkflowStateAsync(id);
        Assert.Equal(WorkflowRuntimeStatus.Terminated, state.RuntimeStatus);
    }

    [Fact]
    public async Task a_suspended_workflow_holds_its_events_until_it_is_resumed()
    {
        var id = await Client.ScheduleNewWorkflowAsync(TestWorkflows.AwaitsApproval, NewId(), 0);

        await Client.SuspendWorkflowAsync(id, "maintenance");
        Assert.Equal(WorkflowRuntimeStatus.Suspended, (await Client.GetWorkflowStateAsync(id)).RuntimeStatus);
        await Client.RaiseEventAsync(id, "approval", "bob");
        await Task.Delay(300, Ct);
        Assert.Equal(WorkflowRuntimeStatus.Suspended, (await Client.GetWorkflowStateAsync(id)).RuntimeStatus);

        await Client.ResumeWorkflowAsync(id, "done");

        var state = await CompletionAsync(id);
        Assert.Equal("approved by bob", state.ReadOutputAs<string>());
    }

    [Fact]
    public async Task the_state_reports_input_output_custom_status_and_history()
    {
        var id = NewId();
        await RunAsync(TestWorkflows.Chain, "in", id);

        var state = await Client.GetWorkflowStateAsync(id, getInputsAndOutputs: true);
        var history = await Client.GetInstanceHistoryAsync(id);

        Assert.True(state.Exists);
        Assert.Equal(TestWorkflows.Chain, state.WorkflowName);
        Assert.Equal("in", state.ReadInputAs<string>());
        Assert.Equal("in-1-2-3", state.ReadOutputAs<string>());
        Assert.Equal(3, state.ReadCustomStatusAs<System.Text.Json.JsonElement>().GetProperty("step").GetInt32());
        Assert.True(state.CreatedAt <= state.LastUpdatedAt);
        Assert.Equal(3, history.Count(e => e.EventType == Dapr.Workflow.Client.WorkflowHistoryEventType.TaskScheduled));
        Assert.False((await Client.GetWorkflowStateAsync("no-such-instance")).Exists);
    }

    [Fact]
    public async Task a_finished_instance_is_not_kept_in_memory_and_is_read_back_when_asked_for()
    {
        var id = NewId();
        await RunAsync(TestWorkflows.Chain, "m", id);
        var runtime = Sidecar.Host.Services.GetRequiredService<WorkflowRuntime>();

        Assert.False(runtime.Runner(id).IsLoaded);
        var state = await Client.GetWorkflowStateAsync(id, getInputsAndOutputs: true);
        Assert.Equal(WorkflowRuntimeStatus.Completed, state.RuntimeStatus);
        Assert.Equal("m-1-2-3", state.ReadOutputAs<string>());
        Assert.False(runtime.Runner(id).IsLoaded);
    }

    [Fact]
    public async Task purge_removes_every_key_of_a_finished_instance()
    {
        var id = NewId();
        await RunAsync(TestWorkflows.Chain, "p", id);
        Assert.True((await ActorStore.GetAsync(Layout.MetadataKey(id), Ct)).Exists);

        Assert.True(await Client.PurgeInstanceAsync(id));

        Assert.False((await Client.GetWorkflowStateAsync(id)).Exists);
        var keys = new List<string> { Layout.MetadataKey(id), Layout.CustomStatusKey(id), Layout.InboxKey(id, 0) };
        keys.AddRange(Enumerable.Range(0, 12).Select(i => Layout.HistoryKey(id, i)));
        Assert.All(await ActorStore.BulkGetAsync(keys, Ct), item => Assert.False(item.Exists, item.Key));
        Assert.DoesNotContain(id, (await Client.ListInstanceIdsAsync()).InstanceIds);
    }

    [Fact]
    public async Task purging_a_running_instance_is_refused()
    {
        var id = await Client.ScheduleNewWorkflowAsync(TestWorkflows.AwaitsApproval, NewId(), 0);

        await Assert.ThrowsAsync<RpcException>(() => Client.PurgeInstanceAsync(id));

        Assert.Equal(WorkflowRuntimeStatus.Running, (await Client.GetWorkflowStateAsync(id)).RuntimeStatus);
    }

    [Fact]
    public async Task scheduling_an_active_instance_id_again_fails_with_already_exists()
    {
        var id = await Client.ScheduleNewWorkflowAsync(TestWorkflows.AwaitsApproval, NewId(), 0);

        var error = await Assert.ThrowsAsync<RpcException>(() => Client.ScheduleNewWorkflowAsync(TestWorkflows.AwaitsApproval, id, 0));

        Assert.Equal(StatusCode.AlreadyExists, error.StatusCode);
        Assert.Contains($"an active workflow with ID '{id}' already exists", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_finished_instance_id_can_be_scheduled_again()
    {
        var id = NewId();
        await RunAsync(TestWorkflows.Chain, "first", id);

        var second = await RunAsync(TestWorkflows.Chain, "second", id);

        Assert.Equal("second-1-2-3", second.ReadOutputAs<string>());
        var metadata = BackendMetadata((await ActorStore.GetAsync(Layout.MetadataKey(id), Ct)).Data!);
        Assert.Equal(2UL, metadata.Generation);
    }

    [Fact]
    public async Task a_child_workflow_returns_its_result_to_the_parent()
    {
        var state = await RunAsync(TestWorkflows.Parent, "c");

        Assert.Equal("parent of c-1-2-3", state.ReadOutputAs<string>());
    }

    [Fact]
    public async Task a_workflow_scheduled_for_later_stays_pending_until_its_start_time()
    {
        var id = await Client.ScheduleNewWorkflowAsync(TestWorkflows.Chain, NewId(), "later", DateTimeOffset.UtcNow.AddSeconds(5)); // far enough that the read below comes first

        Assert.Equal(WorkflowRuntimeStatus.Pending, (await Client.GetWorkflowStateAsync(id)).RuntimeStatus);

        var state = await CompletionAsync(id);
        Assert.Equal("later-1-2-3", state.ReadOutputAs<string>());
        Assert.True(state.LastUpdatedAt - state.CreatedAt >= TimeSpan.Zero);
    }

    [Fact]
    public async Task a_held_wait_ends_at_the_call_deadline()
    {
        var id = await Client.ScheduleNewWorkflowAsync(TestWorkflows.AwaitsApproval, NewId(), 0);
        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(Sidecar.Host.GrpcEndpoint);
        var sidecar = new Dapr.DurableTask.Protobuf.TaskHubSidecarService.TaskHubSidecarServiceClient(channel);

        var error = await Assert.ThrowsAsync<RpcException>(async () => await sidecar.WaitForInstanceCompletionAsync(
            new Dapr.DurableTask.Protobuf.GetInstanceRequest { InstanceId = id }, deadline: DateTime.UtcNow.AddMilliseconds(300)));

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        var unsupported = await Assert.ThrowsAsync<RpcException>(async () => await sidecar.RerunWorkflowFromEventAsync(
            new Dapr.DurableTask.Protobuf.RerunWorkflowFromEventRequest { SourceInstanceID = id }));
        Assert.Equal(StatusCode.Unimplemented, unsupported.StatusCode);
    }

    [Fact]
    public async Task an_event_sent_by_one_workflow_reaches_another()
    {
        var waiting = await Client.ScheduleNewWorkflowAsync(TestWorkflows.AwaitsApproval, NewId(), 0);

        await RunAsync(TestWorkflows.Approves, waiting);

        Assert.Equal("approved by dave", (await CompletionAsync(waiting)).ReadOutputAs<string>());
    }

    [Fact]
    public async Task continue_as_new_starts_the_next_run_from_a_fresh_history()
    {
        var id = NewId();

        var state = await RunAsync(TestWorkflows.CountsToThree, 0, id);

        Assert.Equal(WorkflowRuntimeStatus.Completed, state.RuntimeStatus);
        Assert.Equal(3, state.ReadInputAs<int>());
        Assert.Equal(4, Probe.Count("Append"));
        var history = await Client.GetInstanceHistoryAsync(id);
        Assert.Single(history, e => e.EventType == Dapr.Workflow.Client.WorkflowHistoryEventType.ExecutionStarted);
    }

    [Fact]
    public async Task a_worker_stopped_during_an_activity_runs_it_again_when_it_comes_back()
    {
        var id = await Client.ScheduleNewWorkflowAsync(TestWorkflows.Gated, NewId(), "parcel");
        await Probe.GateEntered.Task.WaitAsync(Patience, Ct);

        await ReplaceWorkerAsync(() =>
        {
            Probe.Gate.TrySetResult();
            return Task.CompletedTask;
        });

        var state = await CompletionAsync(id);
        Assert.Equal("parcel passed", state.ReadOutputAs<string>());
        Assert.Equal(2, Probe.Count("Gate"));
    }
}

public sealed class InMemoryWorkflowConformance(SharedServers servers) : WorkflowConformance(servers)
{
    protected override StoreKind Kind => StoreKind.InMemory;
}

public sealed class RedisWorkflowConformance(SharedServers servers) : WorkflowConformance(servers)
{
    protected override StoreKind Kind => StoreKind.Redis;
}

public sealed class PostgresWorkflowConformance(SharedServers servers) : WorkflowConformance(servers)
{
    protected override StoreKind Kind => StoreKind.Postgres;
}
