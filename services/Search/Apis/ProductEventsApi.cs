using Dapr;
using Microsoft.AspNetCore.Http.HttpResults;
using Search.Indexing;

namespace Search.Apis;

/// <summary>The catalog's product events, delivered by the sidecar from topic <c>catalog.products</c>.</summary>
public static class ProductEventsApi
{
    public const string PubSub = "pubsub";
    public const string Topic = "catalog.products";

    public static IEndpointRouteBuilder MapProductEventsApi(this IEndpointRouteBuilder app)
    {
        var events = app.MapGroup("/events/products").ExcludeFromDescription();

        // Routing by CloudEvent type is done by the sidecar (CEL rules in /dapr/subscribe): deletions to one route,
        // everything else on the topic to the default one, which accepts only the v1 types it knows.
        events.MapPost("/deleted", ProductDeletedAsync).WithTopic(new TopicOptions
        {
            PubsubName = PubSub,
            Name = Topic,
            Match = $"event.type == \"{ProductEventData.Types.Deleted}\"",
            Priority = 1,
        });
        events.MapPost("/changed", ProductChangedAsync).WithTopic(PubSub, Topic);

        return app;
    }

    public static Task<Results<Ok, Ok<TopicAnswer>>> ProductChangedAsync(ProductEventEnvelope envelope, ProductIndex index, ILogger<ProductIndex> logger, CancellationToken ct)
        => ApplyAsync(envelope, deleted: false, index, logger, ct);

    public static Task<Results<Ok, Ok<TopicAnswer>>> ProductDeletedAsync(ProductEventEnvelope envelope, ProductIndex index, ILogger<ProductIndex> logger, CancellationToken ct)
        => ApplyAsync(envelope, deleted: true, index, logger, ct);

    private static async Task<Results<Ok, Ok<TopicAnswer>>> ApplyAsync(ProductEventEnvelope envelope, bool deleted, ProductIndex index, ILogger logger, CancellationToken ct)
    {
        if (envelope.Type is not (ProductEventData.Types.Created or ProductEventData.Types.Updated or ProductEventData.Types.Deleted))
        {
            // A type this consumer does not know (a future product.updated.v2, say) is never read as v1 data; retrying
            // cannot help either, so DROP hands it to the dead-letter topic (if any) and it shows up in the logs.
            logger.LogWarning("Dropping event {EventId} of unknown type {EventType} on {Topic}", envelope.Id, envelope.Type, Topic);
            return TypedResults.Ok(TopicAnswer.Drop);
        }

        if (envelope.Id is not { Length: > 0 } eventId || envelope.Data?.ToIndexed() is not { } product)
        {
            logger.LogWarning("Dropping product event {EventId} of type {EventType}: it lacks an id or a product field", envelope.Id, envelope.Type);
            return TypedResults.Ok(TopicAnswer.Drop);
        }

        var outcome = await index.ApplyEventAsync(eventId, envelope.Type, product with { Deleted = product.Deleted || deleted }, ct);
        logger.LogDebug("Product event {EventId} ({EventType}) for {ProductId} v{Version}: {Outcome}", envelope.Id, envelope.Type, product.Id, product.Version, outcome);
        return TypedResults.Ok();
    }
}

/// <summary>The body that tells the sidecar what to do with a delivery other than acknowledge it.</summary>
public sealed record TopicAnswer(string Status)
{
    public static readonly TopicAnswer Drop = new("DROP");
}
