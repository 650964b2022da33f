using System.Diagnostics.Metrics;

namespace Customers.ChangeCapture;

/// <summary>The relay's instruments, on the service's own meter (<c>Dapr.Services.customers</c>) which ServiceDefaults exports.</summary>
public sealed class ChangeCaptureMetrics
{
    private readonly Counter<long> _published;
    private readonly Counter<long> _failures;
    private readonly Histogram<double> _commitToPublish;
    private const long Unknown = -1;
    private long _lagBytes = Unknown;

    public ChangeCaptureMetrics(ServiceInstrumentation instrumentation)
    {
        var meter = instrumentation.Meter;
        _published = meter.CreateCounter<long>("customers.cdc.events_published", "{event}", "Change events the sidecar accepted.");
        _failures = meter.CreateCounter<long>("customers.cdc.relay_failures", "{failure}",
            "Times the relay stopped (publish refused, database connection lost) and resumed from the slot.");
        _commitToPublish = meter.CreateHistogram<double>("customers.cdc.commit_to_publish", "ms",
            "From the commit of a change to the sidecar accepting its event.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1, 2, 5, 10, 20, 50, 100, 250, 500, 1000, 5000, 30000] });
        meter.CreateObservableGauge("customers.cdc.replication_lag", ObserveLag, "By",
            "WAL written since the position the relay last confirmed (pg_current_wal_lsn() - confirmed_flush_lsn).");
    }

    public void Published(ChangeEvent change, TimeSpan sinceCommit)
    {
        var type = new KeyValuePair<string, object?>("event.type", change.Type);
        _published.Add(1, type);
        _commitToPublish.Record(sinceCommit.TotalMilliseconds, type);
    }

    public void RelayFailed() => _failures.Add(1);

    /// <summary>Null while the slot is not there (yet): the gauge then reports nothing rather than a made-up zero.</summary>
    public void LagMeasured(long? bytes) => Interlocked.Exchange(ref _lagBytes, bytes ?? Unknown);

    private IEnumerable<Measurement<long>> ObserveLag() =>
        Interlocked.Read(ref _lagBytes) is var bytes and not Unknown ? [new Measurement<long>(bytes)] : [];
}
