using System.Text.Json.Serialization;

namespace Inventory.Domain;

[JsonConverter(typeof(JsonStringEnumConverter<ReservationStatus>))]
public enum ReservationStatus
{
    Reserved,
    Released,
}

public sealed record ReservationLine(string Sku, int Quantity);

/// <summary>What an order holds, or held: a released reservation keeps its lines; a tombstone has none.</summary>
public sealed record Reservation(string OrderId, ReservationStatus Status, IReadOnlyList<ReservationLine> Lines);

public sealed record StockLevel(string Sku, int OnHand, int Reserved)
{
    public int Available => OnHand - Reserved;
}
