using Microsoft.Extensions.DependencyInjection.Extensions;
using Orders.Infrastructure;
using Orders.Outbox;
using Persistence;

namespace Orders.Extensions;

public static class Extensions
{
    /// <summary>The name of the connection string (and, with <c>-admin</c>, of its dev-only superuser one).</summary>
    public const string DatabaseName = "orders";

    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        // Registered before the relay: hosted services start in order, so the relay never reads an unmigrated outbox.
        builder.AddServiceDatabase(DatabaseName, typeof(Extensions).Assembly);

        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<OrderStore>();
        builder.Services.AddSingleton<SidecarInvoker>();
        builder.Services.AddSingleton<CustomerDirectory>();

        builder.Services.AddOptions<OutboxOptions>().BindConfiguration(OutboxOptions.Section);
        builder.Services.AddSingleton<OutboxSignal>();
        builder.Services.AddSingleton<OutboxMetrics>();
        builder.Services.AddHostedService<OutboxRelay>();

        // Here and not in ServiceDefaults: the validation source generator sees the request types of this project only.
        builder.Services.AddValidation();
        builder.Services.AddOpenApi();
        return builder;
    }
}
