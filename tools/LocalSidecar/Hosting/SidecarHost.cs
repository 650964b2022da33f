using Grpc.AspNetCore.Server.Model;
using LocalSidecar.Api;
using LocalSidecar.Api.Grpc;
using LocalSidecar.Api.Http;
using LocalSidecar.Components;
using LocalSidecar.Invocation;
using LocalSidecar.Outbox;
using LocalSidecar.PubSub;
using LocalSidecar.State;
using LocalSidecar.Subscriptions;
using LocalSidecar.Workflow;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace LocalSidecar.Hosting;

/// <summary>
/// One running sidecar: an HTTP/1.1 API port and an h2c gRPC port (Kestrel cannot serve both on one cleartext port),
/// the components its scopes admit, its subscriptions, and its name registration. Tests start it in-process;
/// <c>Program</c> runs one per process, as daprd runs one per app.
/// </summary>
public sealed class SidecarHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly NameResolution _names;
    private readonly SidecarAddress _address;
    private readonly StateStoreRegistry _stateStores;
    private readonly PubSubRuntime _pubsub;
    private readonly ILoggerFactory _loggers;
    private readonly Task _subscriptions;
    private readonly CancellationTokenSource _stopping = new();
    private bool _disposed;

    private SidecarHost(WebApplication app, SidecarOptions options, NameResolution names, SidecarAddress address,
        StateStoreRegistry stateStores, PubSubRuntime pubsub, ILoggerFactory loggers, Func<CancellationToken, Task> startSubscriptions)
    {
        _app = app;
        Options = options;
        _names = names;
        _address = address;
        _stateStores = stateStores;
        _pubsub = pubsub;
        _loggers = loggers;
        // daprd subscribes once its APIs listen and the app's port answers; that wait must not hold up the sidecar's start.
        _subscriptions = startSubscriptions(_stopping.Token);
    }

    public SidecarOptions Options { get; }

    public string HttpEndpoint => $"http://127.0.0.1:{Options.HttpPort}";

    public string GrpcEndpoint => $"http://127.0.0.1:{Options.GrpcPort}";

    public IServiceProvider Services => _app.Services;

    public static async Task<SidecarHost> StartAsync(SidecarOptions options, Action<ILoggingBuilder>? configureLogging = null, CancellationToken cancellationToken = default)
    {
        configureLogging ??= logging => DefaultLogging(logging, options);
        var loggers = LoggerFactory.Create(configureLogging);
        var resources = new ResourceLoader(options.AppId).Load(options.ResourcesPaths);
        var time = TimeProvider.System;
        StateStoreRegistry? stateStores = null;
        PubSubRuntime? pubsub = null;
        try
        {
            stateStores = await CreateStateStoresAsync(resources.Components, options, time, loggers, cancellationToken);
            pubsub = await PubSubRuntime.CreateAsync(options.AppId, resources.Components, resources.Resiliencies, loggers, time, cancellationToken);
            var names = new NameResolution(options.NameResolutionDirectory);
            var app = Build(options, resources, stateStores, pubsub, names, time, configureLogging);
            await app.StartAsync(cancellationToken);

            var address = new SidecarAddress(options.AppId, options.HttpPort, options.GrpcPort, options.AppPort, Environment.ProcessId);
            names.Register(address);
            app.Logger.LogInformation("local sidecar for app id {AppId} ready: HTTP {Http}, gRPC {Grpc}, {Count} component(s)",
                options.AppId, options.HttpPort, options.GrpcPort, resources.Components.Count);
            if (options.IgnoredFlags.Count > 0)
            {
                app.Logger.LogInformation("daprd flags without local meaning, ignored: {Flags}", string.Join(" ", options.IgnoredFlags));
            }

            var runtime = pubsub;
            return new SidecarHost(app, options, names, address, stateStores, pubsub, loggers,
                ct => StartSubscriptionsAsync(runtime, options, resources.Subscriptions, app.Logger, ct));
        }
        catch
        {
            if (pubsub is not null)
            {
                await pubsub.DisposeAsync();
            }

            foreach (var entry in stateStores?.Stores.Values ?? [])
            {
                await entry.Store.DisposeAsync();
            }

            loggers.Dispose();
            throw;
        }
    }

    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _names.Unregister(_address);
        await _stopping.CancelAsync();
        await _subscriptions;
        await _pubsub.StopSubscriptionsAsync(CancellationToken.None);
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _pubsub.DisposeAsync();
        foreach (var entry in _stateStores.Stores.Values)
        {
            await entry.Store.DisposeAsync();
        }

        _loggers.Dispose();
        _stopping.Dispose();
    }

    private static WebApplication Build(SidecarOptions options, LoadedResources resources, StateStoreRegistry stateStores, PubSubRuntime pubsub,
        NameResolution names, TimeProvider time, Action<ILoggingBuilder> configureLogging)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        configureLogging(builder.Logging);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.ListenLocalhost(options.HttpPort, o => o.Protocols = HttpProtocols.Http1);
            kestrel.ListenLocalhost(options.GrpcPort, o => o.Protocols = HttpProtocols.Http2);
        });

        var services = builder.Services;
        services.AddSingleton(options);
        services.AddSingleton(time);
        services.AddSingleton(names);
        services.AddSingleton(stateStores);
        services.AddSingleton(pubsub.Registry);
        services.AddSingleton(pubsub.Publisher);
        services.AddSingleton(OutboxTiming.Daprd);
        services.AddSingleton(sp => new SidecarMetadata(options, resources.Components, stateStores)
        {
            Subscriptions = () => pubsub.ActiveSubscriptions
                .Select(s => new SubscriptionInfo(s.PubsubName, s.Topic, s.DeadLetterTopic, s.Rules.Select(r => (r.Match, r.Path)).ToList(), s.Source == SubscriptionSource.Declarative))
                .ToList(),
        });
        services.AddSingleton<IStateOutbox, StateOutbox>();
        services.AddHostedService<OutboxRelay>();
        services.AddSingleton<StateService>();
        services.AddSingleton<PublishService>();
        services.AddSingleton<InvocationProxy>();
        services.AddHttpClient(InvocationProxy.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false, UseProxy = false })
            // The proxy logs its own failures; the factory's per-request logging scope is pure cost on every hop.
            .RemoveAllLoggers();
        services.AddGrpc(o => o.Interceptors.Add<ApiTokenInterceptor>());
        services.AddSingleton<IServiceMethodProvider<DaprGrpcService>, DaprGrpcMethods>();
        services.AddSingleton<DaprGrpcService>();
        services.AddSingleton<WorkflowRuntime>();
        services.AddHostedService(sp => sp.GetRequiredService<WorkflowRuntime>());
        services.AddSingleton<IServiceMethodProvider<WorkflowGrpcService>, WorkflowGrpcMethods>();
        services.AddSingleton<WorkflowGrpcService>();
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT")))
        {
            services.AddOpenTelemetry()
                .ConfigureResource(r => r.AddService("daprd-" + options.AppId))
                .WithTracing(tracing => tracing
                    .AddSource(AppPostman.ActivitySourceName)
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddOtlpExporter());
        }

        var app = builder.Build();
        app.UseMiddleware<DaprHttpErrorMiddleware>();
        app.UseMiddleware<ApiTokenMiddleware>();
        app.UseMiddleware<AppIdHeaderMiddleware>();
        app.MapGrpcService<DaprGrpcService>();
        app.MapGrpcService<WorkflowGrpcService>();
        app.MapStateApi();
        app.MapPublishApi();
        app.MapSidecarApi();
        return app;
    }

    private static async Task StartSubscriptionsAsync(PubSubRuntime pubsub, SidecarOptions options, IReadOnlyList<SubscriptionDefinition> declarative, ILogger logger, CancellationToken ct)
    {
        var channel = options.AppPort is { } port
            ? new AppChannelOptions(options.AppChannelAddress, port, options.AppApiToken, AppChannelOptions.DefaultPortWaitTimeout)
            : null;
        try
        {
            await pubsub.StartSubscriptionsAsync(new SubscriptionManagerOptions(options.AppId, channel, options.Namespace), declarative, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // the sidecar stopped before the app came up
        }
        catch (Exception e)
        {
            // A subscription that cannot start is a broken configuration: say so loudly, keep serving the other APIs as daprd does.
            logger.LogCritical(e, "Subscriptions of app {AppId} could not be started", options.AppId);
        }
    }

    private static async Task<StateStoreRegistry> CreateStateStoresAsync(IReadOnlyList<ComponentDefinition> components, SidecarOptions options, TimeProvider time, ILoggerFactory loggers, CancellationToken ct)
    {
        var stores = new Dictionary<string, StateStoreEntry>(StringComparer.Ordinal);
        try
        {
            foreach (var definition in components.Where(c => c.Category == "state"))
            {
                var store = StateStoreFactory.Create(definition, time, loggers);
                StateKeys keys;
                try
                {
                    keys = StateKeys.For(definition.Metadata.Get("keyPrefix"), definition.Name, options.AppId, options.Namespace);
                }
                catch (ArgumentException e)
                {
                    await store.DisposeAsync();
                    throw definition.Metadata.Invalid("keyPrefix", e.Message);
                }

                stores[definition.Name] = new StateStoreEntry(definition, store, keys, OutboxSettings.From(definition));
                try
                {
                    await store.InitAsync(ct);
                }
                catch (Exception e) when (e is not ResourceException and not OperationCanceledException)
                {
                    throw new ResourceException(definition.SourceFile, $"component '{definition.Name}' ({definition.Type}) failed to initialise: {e.Message}", e);
                }
            }

            return new StateStoreRegistry(stores);
        }
        catch
        {
            foreach (var entry in stores.Values)
            {
                await entry.Store.DisposeAsync();
            }

            throw;
        }
    }

    private static void DefaultLogging(ILoggingBuilder logging, SidecarOptions options)
    {
        logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });
        logging.SetMinimumLevel(options.LogLevel.ToLowerInvariant() switch
        {
            "debug" => LogLevel.Debug,
            "warn" or "warning" => LogLevel.Warning,
            "error" => LogLevel.Error,
            "fatal" => LogLevel.Critical,
            _ => LogLevel.Information,
        });
        // Per-request framework logs drown the sidecar's own; --enable-api-logging turns them back on.
        logging.AddFilter("Microsoft.AspNetCore", options.EnableApiLogging ? LogLevel.Information : LogLevel.Warning);
        logging.AddFilter("System.Net.Http.HttpClient", options.EnableApiLogging ? LogLevel.Information : LogLevel.Warning);
    }
}
