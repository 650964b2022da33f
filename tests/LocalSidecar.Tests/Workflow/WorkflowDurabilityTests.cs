using Dapr.DurableTask.Protobuf;
using Dapr.Testing;
using Dapr.Workflow;
using Google.Protobuf;
using Grpc.Net.Client;
using LocalSidecar.Tests.Infrastructure;

namespace LocalSidecar.Tests.Workflow;

/// <summary>
/// Workflows outlive the sidecar: everything pending is read back from the actor state store after a restart and set
/// in motion again — timers re-armed, unfinished activities run again (at least once, as under daprd), a turn that was
/// waiting runs. Only stores that outlive the sidecar process can show this, so in-memory is not among them.
/// </summary>
[Collection(SharedServers.Collection)]
public abstract class WorkflowDurabilityTests(SharedServers servers) : WorkflowTestBase(servers)
{
    [Fact]
    public async Task a_sidecar_restarted_while_a_timer_is_pending_still_completes_the_workflow()
    {
        var id = await Client.ScheduleNewWorkflowAsync(TestWorkflows.Sleeps, NewId(), 3000);
        await WaitForHistoryAsync(id, HistoryEvent.EventTypeOneofCase.TimerCreated);

        await RestartSidecarAsync();

        var state = await CompletionAsync(id);
        Assert.Equal(WorkflowRuntimeStatus.Completed, state.RuntimeStatus);
        Assert.InRange(state.ReadOutputAs<double>(), 3000, 60_000);
    }

    [Fact]
    public async Task a_sidecar_restarted_during_an_activity_runs_it_again_and_completes_the_workflow()
    {
        var id = await Client.ScheduleNewWorkflowAsync(TestWorkflows.Gated, NewId(), "crate");
        await Probe.GateEntered.Task.WaitAsync(Patience, Ct);

        await RestartSidecarAsync();
        Probe.Gate.TrySetResult();

        var state = await CompletionAsync(id);
        Assert.Equal("crate passed", state.ReadOutputAs<string>());
        // The first run's answer went to a sidecar that no longer knew its completion token.
        Assert.Equal(2, Probe.Count("Gate"));
    }

    [Fact]
    public async Task an_event_saved_while_no_worker_is_connected_runs_after_a_sidecar_restart()
    {
        var id = await Client.ScheduleNewWorkflowAsync(TestWorkflows.AwaitsApproval, NewId(), 0);
        await WaitForHistoryAsync(id, HistoryEvent.EventTypeOneofCase.WorkflowStarted);

        await ReplaceWorkerAsync(async () =>
        {
            using var channel = GrpcChannel.ForAddress(Sidecar.Host.GrpcEndpoint);
            var sidecar = new TaskHubSidecarService.TaskHubSidecarServiceClient(channel);
            await sidecar.RaiseEventAsync(new RaiseEventRequest { InstanceId = id, Name = "approval", Input = "\"carol\"" }, cancellationToken: Ct);
            await RestartSidecarAsync();
        });

        var state = await CompletionAsync(id);
        Assert.Equal("approved by carol", state.ReadOutputAs<string>());
    }

    [Fact]
    public async Task only_unfinished_instances_have_a_live_marker_while_listing_finds_every_one()
    {
        var finished = NewId();
        await RunAsync(TestWorkflows.Chain, "done", finished);
        var running = await Client.ScheduleNewWorkflowAsync(TestWorkflows.AwaitsApproval, NewId(), 0);
        await WaitForHistoryAsync(running, HistoryEvent.EventTypeOneofCase.ExecutionStarted);

        Assert.Equal([running], await LiveMarkersAsync());
        var listed = (await Client.ListInstanceIdsAsync()).InstanceIds;
        Assert.Contains(finished, listed);
        Assert.Contains(running, listed);

        await Client.RaiseEventAsync(running, "approval", "dora");
        await CompletionAsync(running);

        Assert.Empty(await LiveMarkersAsync());
        Assert.Equal(2, (await Client.ListInstanceIdsAsync()).InstanceIds.Count(id => id == finished || id == running));
    }

    [Fact]
    public async Task the_list_an_earlier_sidecar_kept_becomes_live_markers_at_start_up_and_its_unfinished_instance_resumes()
    {
        var finished = NewId();
        await RunAsync(TestWorkflows.Chain, "old", finished);
        var running = await Client.ScheduleNewWorkflowAsync(TestWorkflows.AwaitsApproval, NewId(), 0);
        await WaitForHistoryAsync(running, HistoryEvent.EventTypeOneofCase.ExecutionStarted);
        // As an earlier sidecar left the store: no markers, one list of instances, finished ones included.
        await ActorStore.DeleteAsync(new LocalSidecar.State.DeleteOperation(Layout.LiveMarkerKey(running)), Ct);
        var legacy = new ListInstanceIDsResponse { InstanceIds = { finished, running } };
        await ActorStore.SetAsync(new LocalSidecar.State.SetOperation(Layout.LegacyIndexKey, new LocalSidecar.State.StateValue(legacy.ToByteArray(), IsJson: false)), Ct);

        await RestartSidecarAsync();

        Assert.Null((await ActorStore.GetAsync(Layout.LegacyIndexKey, Ct)).ETag);
        Assert.Equal([running], await LiveMarkersAsync());
        Assert.Equal(WorkflowRuntimeStatus.Completed, (await Client.GetWorkflowStateAsync(finished)).RuntimeStatus);
        await Client.RaiseEventAsync(running, "approval", "erin");
        Assert.Equal(WorkflowRuntimeStatus.Completed, (await CompletionAsync(running)).RuntimeStatus);
        Assert.Empty(await LiveMarkersAsync());
    }

    [Fact]
    public async Task a_marker_left_by_an_instance_purged_elsewhere_is_dropped_at_start_up()
    {
        var purged = NewId();
        // daprd purges an instance's own keys only; a marker it never knew of stays behind.
        await ActorStore.SetAsync(new LocalSidecar.State.SetOperation(Layout.LiveMarkerKey(purged), new LocalSidecar.State.StateValue(System.Text.Encoding.UTF8.GetBytes(purged), IsJson: false)), Ct);

        await RestartSidecarAsync();

        Assert.DoesNotContain(purged, await LiveMarkersAsync());
        Assert.False(await Client.GetWorkflowStateAsync(purged) is { Exists: true });
    }

    private async Task<IReadOnlyList<string>> LiveMarkersAsync()
    {
        var keys = await ActorStore.KeysAsync(Layout.LiveMarkerPrefix, "", Ct);
        return [.. keys.Select(key => key[Layout.LiveMarkerPrefix.Length..])];
    }

    private async Task WaitForHistoryAsync(string instanceId, HistoryEvent.EventTypeOneofCase type)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var stored = await Layout.LoadAsync(instanceId, Ct);
            if (stored?.History.Any(e => e.EventTypeCase == type) == true)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"no {type} in the stored history of {instanceId}");
            await Task.Delay(50, Ct);
        }
    }
}

public sealed class RedisWorkflowDurabilityTests(SharedServers servers) : WorkflowDurabilityTests(servers)
{
    protected override StoreKind Kind => StoreKind.Redis;
}

public sealed class PostgresWorkflowDurabilityTests(SharedServers servers) : WorkflowDurabilityTests(servers)
{
    protected override StoreKind Kind => StoreKind.Postgres;
}
