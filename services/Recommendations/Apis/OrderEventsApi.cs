using Dapr;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Recommendations.Graph;
using Recommendations.IntegrationEvents;

namespace Recommendations.Apis;

/// <summary>
/// Subscriptions to the orders topic. The sidecar routes <c>order.confirmed.v1</c> by the match rule and every other
/// type of the topic to the default route, which acknowledges it: the topic carries events this service does not use
/// (<c>order.cancelled.v1</c>, later versions), and leaving them unanswered would have the sidecar retry them.
/// </summary>
public static class OrderEventsApi
{
    public const string PubSubName = "pubsub";
    public const string Topic = "orders";

    /// <summary>
    /// Set by the CloudEvents middleware from the envelope (<see cref="Microsoft.Extensions.Hosting.ServiceDefaultsExtensions.UseDaprDefaults"/>):
    /// the handler sees only the event's data, and needs the id to process each event once.
    /// </summary>
    public const string CloudEventIdHeader = "Cloudevent.id";

    public static IEndpointRouteBuilder MapOrderEventsApi(this IEndpointRouteBuilder app)
    {
        // Called by the sidecar, not by clients: kept out of the OpenAPI document.
        var events = app.MapGroup("/events/orders").ExcludeFromDescription();

        events.MapPost("/confirmed", HandleOrderConfirmedAsync)
            .WithTopic(new TopicOptions
            {
                PubsubName = PubSubName,
                Name = Topic,
                Match = $"event.type == \"{OrderConfirmed.Type}\"",
                Priority = 1,
            });

        events.MapPost("/other", AcknowledgeOther)
            .WithTopic(PubSubName, Topic);

        return app;
    }

    /// <summary>
    /// Adds the order to the graph once: a redelivery (same CloudEvent id) is acknowledged without changes. Any
    /// failure escapes as a 500, so the sidecar redelivers by its resiliency policy; the transaction rolled back, so
    /// the retry starts from a clean slate.
    /// </summary>
    public static async Task<Ok> HandleOrderConfirmedAsync(
        OrderConfirmed order,
        [FromHeader(Name = CloudEventIdHeader)] string eventId,
        IRecommendationGraph graph,
        ILoggerFactory loggers,
        CancellationToken ct)
    {
        if (!await graph.RecordPurchaseAsync(eventId, OrderConfirmed.Type, order.ToPurchase(), ct))
        {
            loggers.CreateLogger(typeof(OrderEventsApi)).LogInformation(
                "Event {EventId} (order {OrderId}) was processed before; acknowledged without changes", eventId, order.OrderId);
        }

        return TypedResults.Ok();
    }

    public static Ok AcknowledgeOther() => TypedResults.Ok();
}
