using System.ComponentModel.DataAnnotations;
using Cart.Events;
using Cart.Infrastructure;
using Dapr;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Cart.Apis;

/// <summary>Subscriptions: the catalog's product events, delivered by the sidecar.</summary>
public static class ProductEventsApi
{
    /// <summary>Where <see cref="Extensions.Extensions.UseDaprSubscriptions"/> puts the CloudEvent id.</summary>
    public const string EventIdHeader = "Cloudevent.id";

    public const string UpdatedMatch = $"event.type == \"{ProductEvents.Updated}\"";

    public static IEndpointRouteBuilder MapProductEventsApi(this IEndpointRouteBuilder app)
    {
        var events = app.MapGroup("/events").ExcludeFromDescription();

        // Only updates concern the cart. Events of other types match no rule, and the sidecar acknowledges them
        // without calling the app, so no catch-all route is needed.
        events.MapPost("/product-updated", OnProductUpdatedAsync)
            .WithTopic(new TopicOptions { PubsubName = ProductEvents.PubSubName, Name = ProductEvents.Topic, Match = UpdatedMatch, Priority = 1 });

        return app;
    }

    public static async Task<Results<Ok, Ok<TopicResponse>>> OnProductUpdatedAsync(
        ProductChanged product,
        [FromHeader(Name = EventIdHeader), Required] string eventId,
        ProductRepricer repricer,
        CancellationToken ct) =>
        await repricer.ApplyAsync(product.ToRevision(), eventId, ct)
            ? TypedResults.Ok()
            : TypedResults.Ok(TopicResponse.Retry);
}
