using Dapr.Testing;
using Dapr.Workflow;
using Grpc.Core;
using LocalSidecar.State;
using LocalSidecar.Tests.Infrastructure;
using LocalSidecar.Workflow;
using Microsoft.Extensions.DependencyInjection;

namespace LocalSidecar.Tests.Workflow;

/// <summary>
/// A local sidecar with an actor state store of one kind and a workflow app (the real Dapr.Workflow 1.19 worker and
/// <see cref="DaprWorkflowClient"/>) connected to it, started fresh for each test.
/// </summary>
public abstract class WorkflowTestBase(SharedServers servers) : IAsyncLifetime
{
    protected static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromMinutes(2));
    private TestSidecar? _sidecar;
    private WorkflowWorkerHost? _worker;

    protected abstract StoreKind Kind { get; }

    /// <summary>False for tests that play the worker themselves, over the raw protocol.</summary>
    protected virtual bool ConnectsSdkWorker => true;

    protected SharedServers Servers => servers;

    protected virtual async Task<string> ActorStoreYamlAsync() => await ComponentYaml.StateStoreAsync("statestore", Kind, servers, ("actorStateStore", "true"));

    protected ActivityProbe Probe { get; } = new();

    protected TestSidecar Sidecar => _sidecar ?? throw new InvalidOperationException("not started");

    protected DaprWorkflowClient Client => (_worker ?? throw new InvalidOperationException("not started")).Client;

    protected CancellationToken Ct => _timeout.Token;

    public async Task InitializeAsync()
    {
        var appId = "wf-" + Guid.NewGuid().ToString("N")[..10];
        _sidecar = await TestSidecar.StartAsync(appId, [await ActorStoreYamlAsync()]);
        _worker = ConnectsSdkWorker ? await StartWorkerAsync() : null;
    }

    public async Task DisposeAsync()
    {
        if (_worker is not null)
        {
            await _worker.DisposeAsync();
        }

        if (_sidecar is not null)
        {
            await _sidecar.DisposeAsync();
        }

        _timeout.Dispose();
    }

    protected Task<WorkflowWorkerHost> StartWorkerAsync() => WorkflowWorkerHost.StartAsync(Sidecar.Host.GrpcEndpoint, TestWorkflows.Register(Probe));

    protected async Task ReplaceWorkerAsync(Func<Task> whileStopped)
    {
        await _worker!.DisposeAsync();
        _worker = null;
        await whileStopped();
        _worker = await StartWorkerAsync();
    }

    protected async Task RestartSidecarAsync() => _sidecar = await Sidecar.RestartAsync();

    protected async Task<WorkflowState> RunAsync(string workflow, object? input, string? instanceId = null)
    {
        var id = await Client.ScheduleNewWorkflowAsync(workflow, instanceId ?? NewId(), input);
        return await CompletionAsync(id);
    }

    protected async Task<WorkflowState> CompletionAsync(string instanceId)
    {
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        patience.CancelAfter(Patience);
        return await Client.WaitForWorkflowCompletionAsync(instanceId, getInputsAndOutputs: true, patience.Token);
    }

    protected static string NewId() => "wf-" + Guid.NewGuid().ToString("N")[..12];

    protected IStateStore ActorStore => Sidecar.Host.Services.GetRequiredService<StateStoreRegistry>().ActorStateStore!.Store;

    protected WorkflowStateStore Layout => Sidecar.Host.Services.GetRequiredService<WorkflowRuntime>().Store;

    protected static Dapr.DurableTask.Protobuf.BackendWorkflowStateMetadata BackendMetadata(byte[] bytes)
        => Dapr.DurableTask.Protobuf.BackendWorkflowStateMetadata.Parser.ParseFrom(bytes);
}
