using Customers.ChangeCapture;
using Customers.Infrastructure;
using Persistence;

namespace Customers.Extensions;

internal static class Extensions
{
    public const string DatabaseName = "customers";

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        // REPLICATION: the change capture relay reads this database's WAL as the service's own role.
        builder.AddServiceDatabase(DatabaseName, typeof(Extensions).Assembly, replication: true);
        builder.AddCustomerChangeCapture();

        builder.Services.AddSingleton<CustomerStore>();
        builder.Services.AddValidation();
        builder.Services.AddOpenApi();
    }
}
