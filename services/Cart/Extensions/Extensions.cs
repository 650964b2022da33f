using Cart.Infrastructure;
using Dapr;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Cart.Extensions;

public static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        // Here rather than in ServiceDefaults: the validation source generator only sees this project's request types.
        builder.Services.AddValidation();
        builder.Services.AddOpenApi();

        builder.Services.AddOptions<CartOptions>()
            .BindConfiguration(CartOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ProductCartIndex>();
        builder.Services.AddSingleton<CartStore>();
        builder.Services.AddSingleton<ProductRepricer>();
        builder.Services.AddSingleton<OrdersClient>();
    }
}
