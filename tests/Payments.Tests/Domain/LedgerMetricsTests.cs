using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Payments.Infrastructure;

namespace Payments.Tests.Domain;

public sealed class LedgerMetricsTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly MeterListener _listener = new();
    private readonly List<(string Instrument, long Value, Dictionary<string, object?> Tags)> _measurements = [];
    private readonly LedgerMetrics _metrics;

    public LedgerMetricsTests()
    {
        var instrumentation = new ServiceInstrumentation("payments", _services.GetRequiredService<IMeterFactory>());
        _metrics = new LedgerMetrics(instrumentation);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == instrumentation.Name)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var copy = new Dictionary<string, object?>();
            foreach (var tag in tags)
            {
                copy[tag.Key] = tag.Value;
            }

            _measurements.Add((instrument.Name, value, copy));
        });
        _listener.Start();
    }

    [Fact]
    public void a_handled_command_is_counted_by_operation_and_outcome_and_a_lost_race_by_operation()
    {
        _metrics.Handled("authorize", "insufficient-funds");
        _metrics.Conflict("capture");

        Assert.Collection(_measurements,
            m => Assert.Equal(("payments.ledger.commands", 1L, "authorize", "insufficient-funds"), (m.Instrument, m.Value, m.Tags["operation"], m.Tags["outcome"])),
            m => Assert.Equal(("payments.ledger.concurrency_conflicts", 1L, "capture"), (m.Instrument, m.Value, m.Tags["operation"])));
    }

    public void Dispose()
    {
        _listener.Dispose();
        _services.Dispose();
    }
}
