using Catalog.Infrastructure;

namespace Catalog.Extensions;

public static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        // Here rather than in ServiceDefaults: the validation generator only sees the request types of the calling project.
        builder.Services.AddValidation();
        builder.Services.AddOpenApi();

        builder.Services.AddSingleton<ProductIdIndex>();
        builder.Services.AddSingleton<ProductStore>();
    }
}
