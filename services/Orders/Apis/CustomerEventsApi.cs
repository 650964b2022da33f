using System.ComponentModel.DataAnnotations;
using Dapr;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Orders.Domain;
using Orders.Infrastructure;

namespace Orders.Apis;

/// <summary>
/// The data of <c>customer.created.v1</c> and <c>customer.updated.v1</c> (customers' CustomerChanged): only what an
/// order copies is read; unknown fields are ignored so that customers can add some within v1.
/// </summary>
public sealed record CustomerChanged(
    [property: Required] Guid? Id,
    [property: Required] string? Email,
    [property: Required] string? Name,
    [property: Range(1, int.MaxValue)] int Version);

/// <summary>The data of <c>customer.deleted.v1</c>: only the id is read.</summary>
public sealed record CustomerDeleted([property: Required] Guid? Id);

/// <summary>
/// Subscriptions to topic <c>customers</c>: they keep orders' replica of the customers (what checkout reads) and take a
/// customer's new name or e-mail into the copies in their orders. The sidecar routes created, updated and deleted
/// events by their match rules and every other type (later versions) to the default route, which acknowledges it. A
/// deleted customer's orders keep the copy they were placed with.
/// </summary>
public static class CustomerEventsApi
{
    public const string PubSubName = "pubsub";
    public const string Topic = "customers";
    public const string CreatedType = "customer.created.v1";
    public const string UpdatedType = "customer.updated.v1";
    public const string DeletedType = "customer.deleted.v1";

    /// <summary>Set by the CloudEvents middleware from the envelope (ServiceDefaults' UseDaprDefaults).</summary>
    public const string CloudEventIdHeader = "Cloudevent.id";

    public const string CloudEventTypeHeader = "Cloudevent.type";

    public static IEndpointRouteBuilder MapCustomerEventsApi(this IEndpointRouteBuilder app)
    {
        // Called by the sidecar, not by clients: kept out of the OpenAPI document.
        var events = app.MapGroup("/events/customers").ExcludeFromDescription();

        // One route per type rather than one rule with ||: each subscription rule stays a plain equality.
        events.MapPost("/updated", HandleCustomerChangedAsync)
            .WithTopic(new TopicOptions { PubsubName = PubSubName, Name = Topic, Match = $"event.type == \"{UpdatedType}\"", Priority = 1 });
        events.MapPost("/created", HandleCustomerChangedAsync)
            .WithTopic(new TopicOptions { PubsubName = PubSubName, Name = Topic, Match = $"event.type == \"{CreatedType}\"", Priority = 2 });
        events.MapPost("/deleted", HandleCustomerDeletedAsync)
            .WithTopic(new TopicOptions { PubsubName = PubSubName, Name = Topic, Match = $"event.type == \"{DeletedType}\"", Priority = 3 });
        events.MapPost("/other", AcknowledgeOther)
            .WithTopic(PubSubName, Topic);

        return app;
    }

    /// <summary>
    /// Refreshes the copy in every order of the customer when the event's version is newer than the copy's, and
    /// records the event id in the same transaction: a redelivery (same id) or an older version changes nothing. Any
    /// failure escapes as a 500, so the sidecar redelivers; the transaction rolled back, so the retry starts clean.
    /// </summary>
    public static async Task<Ok> HandleCustomerChangedAsync(
        CustomerChanged customer,
        [FromHeader(Name = CloudEventIdHeader)] string eventId,
        [FromHeader(Name = CloudEventTypeHeader)] string eventType,
        OrderStore orders,
        ILoggerFactory loggers,
        CancellationToken ct)
    {
        var refreshed = await orders.RefreshCustomerAsync(eventId, eventType, customer.Id!.Value,
            new CustomerCopy(customer.Name!, customer.Email!, customer.Version), ct);
        var logger = loggers.CreateLogger(typeof(CustomerEventsApi));
        if (refreshed is null)
        {
            logger.LogInformation("Event {EventId} (customer {CustomerId}) was processed before; acknowledged without changes", eventId, customer.Id);
        }
        else
        {
            logger.LogDebug("Event {EventId} refreshed customer {CustomerId} at version {Version} in {Orders} order(s)",
                eventId, customer.Id, customer.Version, refreshed);
        }

        return TypedResults.Ok();
    }

    /// <summary>Leaves a tombstone in the replica (checkout refuses the customer from then on); idempotent by event id.</summary>
    public static async Task<Ok> HandleCustomerDeletedAsync(
        CustomerDeleted customer,
        [FromHeader(Name = CloudEventIdHeader)] string eventId,
        [FromHeader(Name = CloudEventTypeHeader)] string eventType,
        OrderStore orders,
        ILoggerFactory loggers,
        CancellationToken ct)
    {
        var logger = loggers.CreateLogger(typeof(CustomerEventsApi));
        if (await orders.ForgetCustomerAsync(eventId, eventType, customer.Id!.Value, ct))
        {
            logger.LogInformation("Customer {CustomerId} was deleted (event {EventId}); checkout refuses them from now on", customer.Id, eventId);
        }
        else
        {
            logger.LogInformation("Event {EventId} (customer {CustomerId} deleted) was processed before; acknowledged without changes", eventId, customer.Id);
        }

        return TypedResults.Ok();
    }

    public static Ok AcknowledgeOther() => TypedResults.Ok();
}
