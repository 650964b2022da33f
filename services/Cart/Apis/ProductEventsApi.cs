using Cart.Events;
using Cart.Infrastructure;
using Dapr;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Cart.Apis;

/// <summary>Subscriptions: the catalog's product events, delivered by the sidecar.</summary>
public static class ProductEventsApi
{
    /// <summary>Where <see cref="Microsoft.Extensions.Hosting.ServiceDefaultsExtensions.UseDaprDefaults"/> puts the CloudEvent id.</summary>
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

    public static async Task<Results<Ok, Ok<TopicResponse>, ValidationProblem>> OnProductUpdatedAsync(
        ProductChanged product,
        [FromHeader(Name = EventIdHeader)] string? eventId,
        ProductRepricer repricer,
        CancellationToken ct)
    {
        // Checked here, not by an attribute: a missing header fails binding (a bare 400) unless the parameter is
        // nullable, and .NET 10's validation does not apply [Required] to header parameters.
        if (string.IsNullOrEmpty(eventId))
        {
            return ValidationProblems.Field(nameof(eventId), "The CloudEvent id is required: the cart records it to recognise redeliveries.");
        }

        return await repricer.ApplyAsync(product.ToRevision(), eventId, ct)
            ? TypedResults.Ok()
            : TypedResults.Ok(TopicResponse.Retry);
    }
}
