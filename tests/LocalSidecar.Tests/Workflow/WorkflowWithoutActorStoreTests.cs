using Dapr.DurableTask.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using LocalSidecar.Tests.Infrastructure;

namespace LocalSidecar.Tests.Workflow;

/// <summary>Like daprd, the workflow engine needs an actor state store; without one every call says so.</summary>
public sealed class WorkflowWithoutActorStoreTests
{
    [Fact]
    public async Task every_workflow_call_fails_with_failed_precondition_naming_the_missing_store()
    {
        await using var sidecar = await TestSidecar.StartAsync("wf-noactors-" + Guid.NewGuid().ToString("N")[..8],
            [ComponentYaml.Component("statestore", "state.in-memory", [])]);
        using var channel = GrpcChannel.ForAddress(sidecar.Host.GrpcEndpoint);
        var client = new TaskHubSidecarService.TaskHubSidecarServiceClient(channel);

        var start = await Assert.ThrowsAsync<RpcException>(async () => await client.StartInstanceAsync(new CreateInstanceRequest { InstanceId = "x", Name = "w" }));
        var get = await Assert.ThrowsAsync<RpcException>(async () => await client.GetInstanceAsync(new GetInstanceRequest { InstanceId = "x" }));

        Assert.Equal(StatusCode.FailedPrecondition, start.StatusCode);
        Assert.Equal(StatusCode.FailedPrecondition, get.StatusCode);
        Assert.Contains("actorStateStore", start.Status.Detail, StringComparison.Ordinal);
    }
}
