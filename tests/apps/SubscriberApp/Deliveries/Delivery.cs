namespace SubscriberApp.Deliveries;

/// <summary>One delivery attempt as the app saw it.</summary>
/// <param name="Topic">The subscribed topic the route serves.</param>
/// <param name="Route">The path the sidecar posted to.</param>
/// <param name="Id">The event's <c>data.id</c>, else the top-level <c>id</c> (CloudEvent id, or a raw JSON payload's id).</param>
/// <param name="Attempt">1 for the first delivery of this id on this topic, counting up on redeliveries.</param>
/// <param name="RawBody">The request body exactly as received (the CloudEvent envelope, or the raw payload), as UTF-8.</param>
/// <param name="RawBodyBase64">The same bytes, for payloads that are not text.</param>
public sealed record Delivery(
    string Topic,
    string Route,
    string? Id,
    int Attempt,
    DateTimeOffset ReceivedAt,
    string? ContentType,
    IReadOnlyDictionary<string, string> Headers,
    string RawBody,
    string RawBodyBase64);
