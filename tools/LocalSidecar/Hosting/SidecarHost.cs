using Grpc.AspNetCore.Server.Model;
using LocalSidecar.Api;
using LocalSidecar.Api.Grpc;
using LocalSidecar.Api.Http;
using LocalSidecar.Components;
using LocalSidecar.Invocation;
using LocalSidecar.State;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace LocalSidecar.Hosting;

/// <summary>
/// One running sidecar: an HTTP/1.1 API port and an h2c gRPC port (Kestrel cannot serve both on one cleartext port),
/// the components its scopes admit, and its name registration. Tests start it in-process; <c>Program</c> runs one per process.
/// </summary>
public sealed class SidecarHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly NameResolution _names;
    private readonly SidecarAddress _address;

    private SidecarHost(WebApplication app, SidecarOptions options, NameResolution names, SidecarAddress address)
    {
        _app = app;
        Options = options;
        _names = names;
        _address = address;
    }

    public SidecarOptions Options { get; }

    public string HttpEndpoint => $"http://127.0.0.1:{Options.HttpPort}";

    public string GrpcEndpoint => $"http://127.0.0.1:{Options.GrpcPort}";

    public IServiceProvider Services => _app.Services;

    public static async Task<SidecarHost> StartAsync(SidecarOptions options, Action<ILoggingBuilder>? configureLogging = null, CancellationToken cancellationToken = default)
    {
        var resources = new ResourceLoader(options.AppId).Load(options.ResourcesPaths);
        var time = TimeProvider.System;
        var stateStores = await CreateStateStoresAsync(resources.Components, options, time, cancellationToken);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (configureLogging is null)
        {
            builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });
            builder.Logging.SetMinimumLevel(ParseLevel(options.LogLevel));
            // Per-request framework logs drown the sidecar's own; --enable-api-logging turns them back on.
            builder.Logging.AddFilter("Microsoft.AspNetCore", options.EnableApiLogging ? LogLevel.Information : LogLevel.Warning);
        }
        else
        {
            configureLogging(builder.Logging);
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.ListenLocalhost(options.HttpPort, o => o.Protocols = HttpProtocols.Http1);
            kestrel.ListenLocalhost(options.GrpcPort, o => o.Protocols = HttpProtocols.Http2);
        });

        var names = new NameResolution(options.NameResolutionDirectory);
        var services = builder.Services;
        services.AddSingleton(options);
        services.AddSingleton(time);
        services.AddSingleton(names);
        services.AddSingleton(stateStores);
        services.AddSingleton(sp => new SidecarMetadata(options, resources.Components, stateStores));
        services.AddSingleton<IStateOutbox, UnavailableOutbox>();
        services.AddSingleton<StateService>();
        services.AddSingleton<InvocationProxy>();
        services.AddHttpClient(InvocationProxy.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false, UseProxy = false });
        services.AddGrpc(o => o.Interceptors.Add<ApiTokenInterceptor>());
        services.AddSingleton<IServiceMethodProvider<DaprGrpcService>, DaprGrpcMethods>();
        services.AddSingleton<DaprGrpcService>();
        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("daprd-" + options.AppId))
            .WithTracing(tracing =>
            {
                tracing.AddAspNetCoreInstrumentation().AddHttpClientInstrumentation();
                if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT")))
                {
                    tracing.AddOtlpExporter();
                }
            });

        var app = builder.Build();
        app.UseMiddleware<DaprHttpErrorMiddleware>();
        app.UseMiddleware<ApiTokenMiddleware>();
        app.UseMiddleware<AppIdHeaderMiddleware>();
        app.MapGrpcService<DaprGrpcService>();
        app.MapStateApi();
        app.MapSidecarApi();

        await app.StartAsync(cancellationToken);
        var address = new SidecarAddress(options.AppId, options.HttpPort, options.GrpcPort, options.AppPort, Environment.ProcessId);
        names.Register(address);
        app.Logger.LogInformation("local sidecar for app id {AppId} ready: HTTP {Http}, gRPC {Grpc}, {Count} component(s)",
            options.AppId, options.HttpPort, options.GrpcPort, resources.Components.Count);
        if (options.IgnoredFlags.Count > 0)
        {
            app.Logger.LogInformation("daprd flags without local meaning, ignored: {Flags}", string.Join(" ", options.IgnoredFlags));
        }

        return new SidecarHost(app, options, names, address);
    }

    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    public async Task StopAsync()
    {
        _names.Unregister(_address);
        await _app.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _names.Unregister(_address);
        var stores = _app.Services.GetRequiredService<StateStoreRegistry>();
        await _app.DisposeAsync();
        foreach (var entry in stores.Stores.Values)
        {
            await entry.Store.DisposeAsync();
        }
    }

    private static async Task<StateStoreRegistry> CreateStateStoresAsync(IReadOnlyList<ComponentDefinition> components, SidecarOptions options, TimeProvider time, CancellationToken ct)
    {
        var stores = new Dictionary<string, StateStoreEntry>(StringComparer.Ordinal);
        foreach (var definition in components.Where(c => c.Category == "state"))
        {
            var store = StateStoreFactory.Create(definition, time);
            try
            {
                await store.InitAsync(ct);
            }
            catch (Exception e) when (e is not ResourceException and not OperationCanceledException)
            {
                await store.DisposeAsync();
                throw new ResourceException(definition.SourceFile, $"component '{definition.Name}' ({definition.Type}) failed to initialise: {e.Message}", e);
            }

            string? keyPrefix = definition.Metadata.Get("keyPrefix");
            StateKeys keys;
            try
            {
                keys = StateKeys.For(keyPrefix, definition.Name, options.AppId, options.Namespace);
            }
            catch (ArgumentException e)
            {
                throw definition.Metadata.Invalid("keyPrefix", e.Message);
            }

            stores[definition.Name] = new StateStoreEntry(definition, store, keys, OutboxSettings.From(definition));
        }

        return new StateStoreRegistry(stores);
    }

    private static LogLevel ParseLevel(string level) => level.ToLowerInvariant() switch
    {
        "debug" => LogLevel.Debug,
        "warn" or "warning" => LogLevel.Warning,
        "error" => LogLevel.Error,
        "fatal" => LogLevel.Critical,
        _ => LogLevel.Information,
    };

    /// <summary>Until the outbox relay is wired, a component that asks for an outbox fails loudly instead of publishing nothing.</summary>
    private sealed class UnavailableOutbox : IStateOutbox
    {
        public Task<PreparedTransaction> PrepareAsync(StateStoreEntry entry, IReadOnlyList<TransactionItem> items, IReadOnlyList<StateOperation> operations, CancellationToken ct)
            => throw new DaprApiException("ERR_STATE_TRANSACTION", $"state store {entry.Definition.Name} asks for an outbox, which this sidecar build does not provide",
                System.Net.HttpStatusCode.InternalServerError, Grpc.Core.StatusCode.Unimplemented);
    }
}
