using Dapr.Workflow;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LocalSidecar.Tests.Workflow;

/// <summary>
/// A workflow app as a developer writes one: a generic host with <c>AddDaprWorkflow</c>, whose hosted worker connects
/// to the sidecar's gRPC port as soon as the host starts. Dapr.Workflow 1.19 reads the endpoint through
/// <c>DaprDefaults.GetDefaultGrpcEndpoint(IConfiguration)</c>: the configuration key <c>DAPR_GRPC_ENDPOINT</c> first,
/// then the environment variable of that name. The key is set in the host's own configuration so that tests running in
/// parallel each talk to their own sidecar.
/// </summary>
public sealed class WorkflowWorkerHost : IAsyncDisposable
{
    private readonly IHost _host;
    private bool _stopped;

    private WorkflowWorkerHost(IHost host)
    {
        _host = host;
        Client = host.Services.GetRequiredService<DaprWorkflowClient>();
    }

    public DaprWorkflowClient Client { get; }

    public static async Task<WorkflowWorkerHost> StartAsync(string grpcEndpoint, Action<WorkflowRuntimeOptions> register)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["DAPR_GRPC_ENDPOINT"] = grpcEndpoint });
        builder.Logging.ClearProviders();
        builder.Services.AddDaprWorkflow(register);
        var host = builder.Build();
        await host.StartAsync();
        return new WorkflowWorkerHost(host);
    }

    /// <summary>Stops the app as a deployment or Ctrl-C would: the worker drops its stream, whatever it was running.</summary>
    public async Task StopAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _host.StopAsync(timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _host.Dispose();
    }
}
