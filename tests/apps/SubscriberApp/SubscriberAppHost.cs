using System.Globalization;
using SubscriberApp.Apis;
using SubscriberApp.Deliveries;

namespace SubscriberApp;

/// <summary>
/// A subscriber and invocation target for the local sidecar's conformance tests: it records every
/// delivery exactly as received and answers the way each test asks it to.
/// </summary>
public static class SubscriberAppHost
{
    public const string PubSubNameKey = "PUBSUB_NAME";
    public const string DefaultPubSubName = "pubsub";

    /// <summary>
    /// Builds the app to listen on <c>http://127.0.0.1:{port}</c> (0 = a free port; read it from
    /// <c>app.Urls</c> after start). ASPNETCORE_URLS/--urls, if configured, win as for every service.
    /// <paramref name="config"/> overrides environment and command line (e.g. APP_API_TOKEN, PUBSUB_NAME).
    /// </summary>
    public static WebApplication Build(string[] args, int port, IDictionary<string, string?>? config = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            // Started in-process by tests, the entry assembly is the test host; name the app explicitly.
            ApplicationName = typeof(SubscriberAppHost).Assembly.GetName().Name,
        });
        if (config is not null)
        {
            builder.Configuration.AddInMemoryCollection(config);
        }

        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["APP_PORT"] = port.ToString(CultureInfo.InvariantCulture),
        });

        builder.AddServiceDefaults();
        builder.Services.AddValidation();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<DeliveryLog>();

        var pubSubName = builder.Configuration[PubSubNameKey] is { Length: > 0 } name ? name : DefaultPubSubName;

        var app = builder.Build();

        app.MapDefaultEndpoints();
        // Must run before UseCloudEvents, which replaces the envelope with its data.
        app.UseMiddleware<ReceivedRequestCaptureMiddleware>();
        app.UseDaprDefaults();

        app.MapSubscriptionsApi(pubSubName);
        app.MapDeliveriesApi();
        app.MapInvocationApi();

        return app;
    }
}
