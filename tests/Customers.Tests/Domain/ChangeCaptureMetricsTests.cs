using System.Diagnostics.Metrics;
using Customers.ChangeCapture;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NpgsqlTypes;

namespace Customers.Tests.Domain;

public sealed class ChangeCaptureMetricsTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly MeterListener _listener = new();
    private readonly List<(string Instrument, double Value, string? Type)> _measurements = [];
    private readonly ChangeCaptureMetrics _metrics;

    public ChangeCaptureMetricsTests()
    {
        var instrumentation = new ServiceInstrumentation("customers", _services.GetRequiredService<IMeterFactory>());
        _metrics = new ChangeCaptureMetrics(instrumentation);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == instrumentation.Name)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        string? type = null;
        foreach (var tag in tags)
        {
            if (tag.Key == "event.type")
            {
                type = (string?)tag.Value;
            }
        }

        _measurements.Add((instrument.Name, value, type));
    }

    [Fact]
    public void a_published_event_is_counted_and_its_commit_to_publish_time_recorded_by_type()
    {
        var change = new ChangeEvent(new ChangePosition(new NpgsqlLogSequenceNumber(1), 0, DateTime.UtcNow), CustomerChangeEvents.Updated, Guid.NewGuid(), new object());

        _metrics.Published(change, TimeSpan.FromMilliseconds(12.5));

        Assert.Contains(("customers.cdc.events_published", 1d, "customer.updated.v1"), _measurements);
        Assert.Contains(("customers.cdc.commit_to_publish", 12.5, "customer.updated.v1"), _measurements);
    }

    [Fact]
    public void the_lag_gauge_reports_the_last_measurement_and_nothing_while_it_is_unknown()
    {
        _listener.RecordObservableInstruments();
        Assert.DoesNotContain(_measurements, m => m.Instrument == "customers.cdc.replication_lag");

        _metrics.LagMeasured(4096);
        _listener.RecordObservableInstruments();
        Assert.Contains(("customers.cdc.replication_lag", 4096d, null), _measurements);

        _measurements.Clear();
        _metrics.LagMeasured(null);
        _listener.RecordObservableInstruments();
        Assert.DoesNotContain(_measurements, m => m.Instrument == "customers.cdc.replication_lag");
    }

    public void Dispose()
    {
        _listener.Dispose();
        _services.Dispose();
    }
}
