using Persistence;
using Search.Indexing;

namespace Search.Extensions;

public static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        // Here rather than in ServiceDefaults: the validation generator only sees the request types of the calling project.
        builder.Services.AddValidation();
        builder.Services.AddOpenApi();

        // ConnectionStrings:search (the service's own role) and, in development, search-admin to create role and database.
        builder.AddServiceDatabase("search", typeof(Extensions).Assembly);

        builder.Services.AddSingleton<ProductIndex>();
        builder.Services.AddSingleton<ProductSearch>();
        builder.Services.AddSingleton<CatalogRebuild>();
    }
}
