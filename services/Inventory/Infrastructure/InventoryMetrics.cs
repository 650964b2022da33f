using System.Diagnostics.Metrics;

namespace Inventory.Infrastructure;

/// <summary>
/// Reservation outcomes on the service's own meter (<c>Dapr.Services.inventory</c>), which ServiceDefaults exports.
/// Repeats are not counted again: a retried activity is not a second order.
/// </summary>
public sealed class InventoryMetrics
{
    private readonly Counter<long> _made;
    private readonly Counter<long> _refused;
    private readonly Counter<long> _released;

    public InventoryMetrics(ServiceInstrumentation instrumentation)
    {
        var meter = instrumentation.Meter;
        _made = meter.CreateCounter<long>("inventory.reservations.made", "{reservation}", "Orders whose stock was reserved.");
        _refused = meter.CreateCounter<long>("inventory.reservations.refused", "{reservation}",
            "Reservations refused, by reason (code): out-of-stock, or reservation-released when the order was compensated first.");
        _released = meter.CreateCounter<long>("inventory.reservations.released", "{reservation}",
            "Releases, by whether stock went back (outcome=released) or only a tombstone was written (outcome=tombstone).");
    }

    public void Made() => _made.Add(1);

    public void Refused(string code) => _refused.Add(1, new KeyValuePair<string, object?>("code", code));

    /// <summary>Repeats are not counted: only a release that returned stock or wrote a tombstone.</summary>
    public void Released(ReleaseOutcome outcome)
    {
        if (outcome != ReleaseOutcome.Repeated)
        {
            _released.Add(1, new KeyValuePair<string, object?>("outcome", outcome == ReleaseOutcome.Released ? "released" : "tombstone"));
        }
    }
}
