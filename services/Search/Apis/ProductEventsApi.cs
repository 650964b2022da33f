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
        // everything else on the topic to the default one.
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
        if (envelope is not { Id.Length: > 0, Type.Length: > 0 } || envelope.Data?.ToIndexed() is not { } product)
        {
            // Retrying cannot fix a malformed event: DROP sends it to the dead-letter topic (if any) instead.
            logger.LogWarning("Dropping product event {EventId} of type {EventType}: it lacks an id, a type or a product field", envelope.Id, envelope.Type);
            return TypedResults.Ok(TopicAnswer.Drop);
        }

        var outcome = await index.ApplyEventAsync(envelope.Id, envelope.Type, product with { Deleted = product.Deleted || deleted }, ct);
        logger.LogDebug("Product event {EventId} ({EventType}) for {ProductId} v{Version}: {Outcome}", envelope.Id, envelope.Type, product.Id, product.Version, outcome);
        return TypedResults.Ok();
    }
}

/// <summary>The body that tells the sidecar what to do with a delivery other than acknowledge it.</summary>
public sealed record TopicAnswer(string Status)
{
    public static readonly TopicAnswer Drop = new("DROP");
}
