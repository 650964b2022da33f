using Dapr;
using Npgsql;
using Persistence;
using Recommendations.Graph;

namespace Recommendations.Extensions;

public static class Extensions
{
    /// <summary>The name of the connection string (and, with <c>-admin</c>, of its dev-only superuser one).</summary>
    public const string DatabaseName = "recommendations";

    public const string LatestBuyersKey = "Recommendations:AlsoBoughtLatestBuyers";

    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddServiceDatabase(DatabaseName, typeof(Extensions).Assembly);
        // The bound on "also bought" work per request; see PostgresRecommendationGraph.
        var latestBuyers = builder.Configuration.GetValue(LatestBuyersKey, PostgresRecommendationGraph.DefaultLatestBuyers);
        builder.Services.AddSingleton<IRecommendationGraph>(sp => new PostgresRecommendationGraph(sp.GetRequiredService<NpgsqlDataSource>(), latestBuyers));

        // Here and not in ServiceDefaults: the validation source generator sees the request types of this project only.
        builder.Services.AddValidation();
        builder.Services.AddOpenApi();
        return builder;
    }
}
