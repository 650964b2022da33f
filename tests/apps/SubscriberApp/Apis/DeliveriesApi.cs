using Microsoft.AspNetCore.Http.HttpResults;
using SubscriberApp.Deliveries;

namespace SubscriberApp.Apis;

public static class DeliveriesApi
{
    public static IEndpointRouteBuilder MapDeliveriesApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/deliveries", ListDeliveries);
        app.MapDelete("/deliveries", ClearDeliveries);
        return app;
    }

    /// <summary>Every recorded attempt in arrival order, or only those of one topic.</summary>
    public static Ok<IReadOnlyList<Delivery>> ListDeliveries(string? topic, DeliveryLog log) =>
        TypedResults.Ok(log.List(topic));

    public static NoContent ClearDeliveries(DeliveryLog log)
    {
        log.Clear();
        return TypedResults.NoContent();
    }
}
