using System.Text.Json.Serialization;
using Marten;
using Payments.Infrastructure;
using Persistence;

namespace Payments.Extensions;

internal static class Extensions
{
    public const string DatabaseName = "payments";

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        // Marten keeps its own schema, so there are no SQL migrations; AddServiceDatabase still provisions the role and
        // database (development) before EventStoreSchema, added after it, creates Marten's tables: hosted services start
        // in the order they were added. Marten's ApplyAllDatabaseChangesOnStartup would put itself first, before the
        // database exists.
        builder.AddServiceDatabase(DatabaseName, typeof(Extensions).Assembly);
        builder.Services.AddMarten(EventStore.Configure)
            .UseNpgsqlDataSource()
            .UseLightweightSessions();
        builder.Services.AddHostedService<EventStoreSchema>();

        // Marten reports on its own ActivitySource and Meter, both named "Marten".
        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics.AddMeter("Marten"))
            .WithTracing(tracing => tracing.AddSource("Marten"));

        builder.Services.AddSingleton<LedgerMetrics>();
        builder.Services.AddSingleton<Ledger>();
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        builder.Services.AddValidation();
        builder.Services.AddOpenApi();
    }
}
