namespace SubscriberApp.Deliveries;

/// <summary>A topic request as it arrived on the wire, before any middleware rewrote it.</summary>
public sealed record ReceivedRequest(byte[] Body, string? ContentType, IReadOnlyDictionary<string, string> Headers)
{
    public static IReadOnlyDictionary<string, string> SnapshotHeaders(IHeaderDictionary headers) =>
        // Lower-case names so callers can look headers up the way HTTP/2 writes them; repeated values join with ','.
        headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString(), StringComparer.Ordinal);
}
