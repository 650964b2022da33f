using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orders.Outbox;

namespace Orders.Tests.Domain;

public sealed class OutboxMetricsTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly MeterListener _listener = new();
    private readonly List<(string Instrument, double Value, string? Kind)> _measurements = [];
    private readonly OutboxMetrics _metrics;

    public OutboxMetricsTests()
    {
        var instrumentation = new ServiceInstrumentation("orders", _services.GetRequiredService<IMeterFactory>());
        _metrics = new OutboxMetrics(instrumentation);
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
        string? kind = null;
        foreach (var tag in tags)
        {
            if (tag.Key == "outbox.kind")
            {
                kind = (string?)tag.Value;
            }
        }

        _measurements.Add((instrument.Name, value, kind));
    }

    [Fact]
    public void a_sent_row_is_counted_by_kind_with_its_commit_to_sent_time()
    {
        _metrics.Sent(OutboxKind.StartSaga, null, TimeSpan.FromMilliseconds(12));

        Assert.Contains(("orders.outbox.sent", 1d, OutboxKind.StartSaga), _measurements);
        Assert.Contains(("orders.outbox.commit_to_sent", 12d, OutboxKind.StartSaga), _measurements);
    }

    [Fact]
    public void the_backlog_gauges_report_nothing_until_measured_and_then_the_last_measurement()
    {
        _listener.RecordObservableInstruments();
        Assert.DoesNotContain(_measurements, m => m.Instrument.StartsWith("orders.outbox.pending", StringComparison.Ordinal));

        _metrics.BacklogMeasured(3, TimeSpan.FromSeconds(2.5));
        _listener.RecordObservableInstruments();

        Assert.Contains(("orders.outbox.pending", 3d, null), _measurements);
        Assert.Contains(("orders.outbox.oldest_pending_age", 2.5d, null), _measurements);
    }

    public void Dispose()
    {
        _listener.Dispose();
        _services.Dispose();
    }
}
