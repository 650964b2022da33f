using System.Globalization;
using System.Net;
using System.Text.Json;
using Dapr;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting.FaultInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// What every service of the system shares: telemetry, health, problem details, the Dapr client,
/// the app API token check and the APP_PORT binding the Dapr CLI expects.
/// </summary>
public static class ServiceDefaultsExtensions
{
    public const string HealthEndpointPath = "/health";
    public const string AlivenessEndpointPath = "/alive";
    public const string LiveTag = "live";
    public const string ReadyTag = "ready";

    /// <summary>Name of the authorization policy that requires the sidecar's APP_API_TOKEN.</summary>
    public const string AppApiTokenPolicy = "Dapr";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.ListenOnAppPort();
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();

        builder.Services.AddProblemDetails();
        // Registered here rather than in MapDefaultEndpoints so the handler wraps the whole pipeline,
        // including routing and authentication, whatever order a service's Program.cs uses.
        builder.Services.AddTransient<IStartupFilter, ExceptionHandlerStartupFilter>();

        // Off unless configured: fault-injection tests switch it on per process (see FaultInjectionMiddleware).
        if (builder.Configuration.GetValue<bool>("FaultInjection:Enabled"))
        {
            builder.Services.AddSingleton<FaultRules>();
            builder.Services.AddTransient<IStartupFilter, FaultInjectionStartupFilter>();
        }

        // AddDaprClient reads DAPR_HTTP_ENDPOINT/DAPR_GRPC_ENDPOINT/ports/DAPR_API_TOKEN from IConfiguration, then env.
        builder.Services.AddDaprClient(client => client
            .UseJsonSerializationOptions(new JsonSerializerOptions(JsonSerializerDefaults.Web))
            .UseGrpcChannelOptions(SidecarChannelOptions()));

        builder.AddAppApiTokenAuthentication();

        // builder.Services.AddValidation() is deliberately not called here: its source generator only sees the
        // request types of the project that makes the call, so each service calls it in its own Program.cs.
        return builder;
    }

    /// <summary>
    /// The gRPC channel to the sidecar. After the sidecar went away the channel retries connecting with an exponential
    /// back-off (gRPC's default: from 1 s up to 120 s) and fails every call at once until its next attempt, so a sidecar
    /// that is back in a second may stay unreachable for minutes. The sidecar is on loopback: trying again within a
    /// second is cheap.
    /// </summary>
    public static GrpcChannelOptions SidecarChannelOptions() => new()
    {
        // As the SDK's own default: cancellation surfaces as OperationCanceledException, not RpcException(Cancelled).
        ThrowOperationCanceledOnCancellation = true,
        InitialReconnectBackoff = TimeSpan.FromMilliseconds(100),
        MaxReconnectBackoff = TimeSpan.FromSeconds(1),
    };

    /// <summary>The Dapr app id when run by a sidecar (APP_ID), else the application name.</summary>
    public static string GetAppId(this IHostApplicationBuilder builder) =>
        builder.Configuration["APP_ID"] is { Length: > 0 } appId ? appId : builder.Environment.ApplicationName;

    /// <summary>
    /// The Dapr CLI starts the app with APP_PORT and waits for it to listen there. Only loopback is bound
    /// because the sidecar is the app's only caller. Explicit URL settings still win.
    /// </summary>
    public static TBuilder ListenOnAppPort<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        // Read lazily so configuration added after AddServiceDefaults (tests, command line) is honoured.
        builder.Services.AddOptions<KestrelServerOptions>().Configure<IConfiguration>((kestrel, configuration) =>
        {
            if (configuration["APP_PORT"] is not { Length: > 0 } rawPort || HasExplicitEndpoints(configuration))
            {
                return;
            }

            if (!int.TryParse(rawPort, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > IPEndPoint.MaxPort)
            {
                throw new InvalidOperationException($"APP_PORT must be a TCP port number, but is '{rawPort}'.");
            }

            kestrel.Listen(IPAddress.Loopback, port);
        });
        return builder;
    }

    private static bool HasExplicitEndpoints(IConfiguration configuration) =>
        !string.IsNullOrEmpty(configuration[WebHostDefaults.ServerUrlsKey])
        || !string.IsNullOrEmpty(configuration[WebHostDefaults.HttpPortsKey])
        || !string.IsNullOrEmpty(configuration[WebHostDefaults.HttpsPortsKey])
        || configuration.GetSection("Kestrel:Endpoints").Exists();

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        var serviceName = builder.GetAppId();

        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddSingleton(sp => new ServiceInstrumentation(serviceName, sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()));

        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(ServiceInstrumentation.NamePrefix, ServiceInstrumentation.NamePrefix + ".*", "Npgsql"))
            .WithTracing(tracing => tracing
                // Dapr.* covers our Dapr.Services.<appId> sources; the Dapr .NET SDK 1.19 defines no ActivitySource of its own yet.
                .AddSource("Dapr.*")
                // Dapr.Client talks gRPC to the sidecar; Grpc.Net.Client reports those calls on this source.
                .AddSource("Grpc.Net.Client")
                .AddSource("Npgsql")
                .AddAspNetCoreInstrumentation(aspnet =>
                    // Probes arrive every few seconds and would drown real traffic.
                    aspnet.Filter = context => !IsHealthProbe(context.Request.Path))
                .AddHttpClientInstrumentation(http =>
                    // The sidecar health check's own calls are probe traffic too.
                    http.FilterHttpRequestMessage = request =>
                        request.RequestUri?.AbsolutePath.StartsWith(DaprSidecarHealthCheck.HealthPath, StringComparison.Ordinal) != true));

        // Exporting is opt-in so a service started without a collector does not retry a dead endpoint forever.
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }
        else if (string.IsNullOrWhiteSpace(builder.Configuration["OTEL_TRACES_SAMPLER"]))
        {
            // Nobody collects this service's spans, so it starts no sampled trace of its own: activities still carry
            // the trace context from call to call (and into log scopes), but the instrumentation skips its tags and
            // timings, which cost a few per cent of every request in the saga benchmark's profile. A caller that
            // sampled its trace still gets it whole (parent-based), so a traced call through this service keeps its
            // sampled flag downstream. OTEL_TRACES_SAMPLER still decides when it is set.
            builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.SetSampler(new ParentBasedSampler(new AlwaysOffSampler())));
        }

        return builder;
    }

    private static bool IsHealthProbe(PathString path) =>
        path.StartsWithSegments(HealthEndpointPath) || path.StartsWithSegments(AlivenessEndpointPath);

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHttpClient(DaprSidecarHealthCheck.HttpClientName);
        builder.Services.AddHealthChecks()
            // Liveness must not depend on the sidecar: restarting the app does not fix a missing sidecar.
            .AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag])
            .AddCheck<DaprSidecarHealthCheck>(DaprSidecarHealthCheck.Name, HealthStatus.Unhealthy, [ReadyTag], DaprSidecarHealthCheck.DefaultTimeout);
        return builder;
    }

    /// <summary>
    /// When APP_API_TOKEN is set, the sidecar sends it in <c>dapr-api-token</c> on every call; anything without it
    /// did not come through the sidecar. Uses Dapr.AspNetCore's own handler (AuthenticationBuilder.AddDapr)
    /// rather than a home-made middleware, so the check stays the one the SDK documents.
    /// </summary>
    public static TBuilder AddAppApiTokenAuthentication<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        // The SDK's default reads only the environment; configuration lets tests and hosts set it too.
        var token = DaprDefaults.GetDefaultAppApiToken(builder.Configuration);
        if (string.IsNullOrEmpty(token))
        {
            return builder;
        }

        builder.Services.AddAuthentication(AppApiTokenPolicy)
            .AddDapr(options => options.Token = token);
        builder.Services.AddAuthorization(options =>
        {
            options.AddDapr(AppApiTokenPolicy);
            // A fallback policy covers every endpoint a service maps, without each one opting in.
            options.FallbackPolicy = options.GetPolicy(AppApiTokenPolicy);
        });
        return builder;
    }

    /// <summary>Maps <c>/health</c> (every check, readiness) and <c>/alive</c> (checks tagged "live").</summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        // Open even when APP_API_TOKEN is set: probes (sidecar, orchestrator) do not carry the token.
        app.MapHealthChecks(HealthEndpointPath).AllowAnonymous();
        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions
        {
            Predicate = registration => registration.Tags.Contains(LiveTag),
        }).AllowAnonymous();
        return app;
    }

    /// <summary>
    /// For services that subscribe to topics: unwraps CloudEvents and maps <c>GET /dapr/subscribe</c>
    /// from the endpoints' <c>WithTopic(...)</c> metadata. Middleware added before this call still sees
    /// the CloudEvent envelope; endpoints see only its <c>data</c>.
    /// </summary>
    public static WebApplication UseDaprDefaults(this WebApplication app)
    {
        // The middleware replaces the envelope with its data; an idempotent consumer still needs the event's id, so
        // the id and type are forwarded as the Cloudevent.id / Cloudevent.type request headers.
        app.UseCloudEvents(new CloudEventsMiddlewareOptions
        {
            ForwardCloudEventPropertiesAsHeaders = true,
            IncludedCloudEventPropertiesAsHeaders = ["id", "type"],
        });
        app.MapSubscribeHandler();
        return app;
    }

    private sealed class ExceptionHandlerStartupFilter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            // With AddProblemDetails registered, the parameterless handler writes an RFC 7807 body.
            app.UseExceptionHandler();
            next(app);
        };
    }
}
