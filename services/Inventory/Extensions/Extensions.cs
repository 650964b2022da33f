using Inventory.Infrastructure;
using Persistence;

namespace Inventory.Extensions;

internal static class Extensions
{
    public const string DatabaseName = "inventory";

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddServiceDatabase(DatabaseName, typeof(Extensions).Assembly);

        builder.Services.AddSingleton<InventoryMetrics>();
        builder.Services.AddSingleton<InventoryStore>();
        builder.Services.AddValidation();
        builder.Services.AddOpenApi();
    }
}
