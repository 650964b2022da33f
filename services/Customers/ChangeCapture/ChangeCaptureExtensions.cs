using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Customers.ChangeCapture;

public static class ChangeCaptureExtensions
{
    /// <summary>
    /// The relay runs inside the customers app, beside the API. Call after AddServiceDatabase: hosted services start in
    /// order, and the slot is created only once the migrations made the publication.
    /// </summary>
    public static IHostApplicationBuilder AddCustomerChangeCapture(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ChangeCaptureOptions>().BindConfiguration(ChangeCaptureOptions.Section);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ChangeCaptureMetrics>();
        builder.Services.AddSingleton<ReplicationSlot>();
        builder.Services.AddHostedService<CustomerChangeRelay>();
        builder.Services.AddHostedService<ReplicationLagMonitor>();
        return builder;
    }
}
