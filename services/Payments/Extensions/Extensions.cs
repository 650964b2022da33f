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
        // Provisions the role and database (development) before Marten's own start-up step creates its tables:
        // hosted services start in the order they were added. Marten keeps its schema itself, so no SQL migrations.
        builder.AddServiceDatabase(DatabaseName, typeof(Extensions).Assembly);
        builder.Services.AddMarten(EventStore.Configure)
            .UseNpgsqlDataSource()
            .UseLightweightSessions()
            .ApplyAllDatabaseChangesOnStartup();

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
