using System.Diagnostics.Metrics;
using Inventory.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Inventory.Tests.Domain;

public sealed class InventoryMetricsTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly MeterListener _listener = new();
    private readonly List<(string Instrument, long Value, string? Tag)> _measurements = [];
    private readonly InventoryMetrics _metrics;

    public InventoryMetricsTests()
    {
        var instrumentation = new ServiceInstrumentation("inventory", _services.GetRequiredService<IMeterFactory>());
        _metrics = new InventoryMetrics(instrumentation);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == instrumentation.Name)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string? tag = null;
            foreach (var t in tags)
            {
                tag = $"{t.Key}={t.Value}";
            }

            _measurements.Add((instrument.Name, value, tag));
        });
        _listener.Start();
    }

    [Fact]
    public void outcomes_are_counted_on_the_services_meter_with_the_refusal_code()
    {
        _metrics.Made();
        _metrics.Refused("out-of-stock");
        _metrics.Refused("reservation-released");

        Assert.Equal(
            [("inventory.reservations.made", 1L, null), ("inventory.reservations.refused", 1L, "code=out-of-stock"), ("inventory.reservations.refused", 1L, "code=reservation-released")],
            _measurements);
    }

    [Fact]
    public void a_repeated_release_is_not_counted_again()
    {
        _metrics.Released(ReleaseOutcome.Released);
        _metrics.Released(ReleaseOutcome.Tombstone);
        _metrics.Released(ReleaseOutcome.Repeated);

        Assert.Equal(
            [("inventory.reservations.released", 1L, "outcome=released"), ("inventory.reservations.released", 1L, "outcome=tombstone")],
            _measurements);
    }

    public void Dispose()
    {
        _listener.Dispose();
        _services.Dispose();
    }
}
