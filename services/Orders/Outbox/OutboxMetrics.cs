using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Orders.Outbox;

/// <summary>The relay's instruments, on the service's own meter (<c>Dapr.Services.orders</c>) which ServiceDefaults exports.</summary>
public sealed class OutboxMetrics
{
    private readonly Counter<long> _sent;
    private readonly Counter<long> _failures;
    private readonly Histogram<double> _commitToSent;
    private readonly Lock _lock = new();
    private Backlog? _backlog;

    public OutboxMetrics(ServiceInstrumentation instrumentation)
    {
        var meter = instrumentation.Meter;
        _sent = meter.CreateCounter<long>("orders.outbox.sent", "{message}",
            "Outbox rows delivered: saga starts order-workflow accepted and events the sidecar accepted.");
        _failures = meter.CreateCounter<long>("orders.outbox.failures", "{attempt}", "Attempts to deliver an outbox row that failed; the row is retried.");
        _commitToSent = meter.CreateHistogram<double>("orders.outbox.commit_to_sent", "ms",
            "From the commit of an outbox row to its delivery.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1, 2, 5, 10, 20, 50, 100, 250, 500, 1000, 5000, 30000] });
        meter.CreateObservableGauge("orders.outbox.pending", ObservePending, "{message}", "Outbox rows not delivered yet.");
        meter.CreateObservableGauge("orders.outbox.oldest_pending_age", ObserveOldestAge, "s",
            "How long the oldest undelivered outbox row has waited.");
    }

    public void Sent(string kind, string? eventType, TimeSpan sinceCommit)
    {
        var tags = Tags(kind, eventType);
        _sent.Add(1, tags);
        _commitToSent.Record(sinceCommit.TotalMilliseconds, tags);
    }

    public void Failed(string kind, string? eventType) => _failures.Add(1, Tags(kind, eventType));

    /// <summary>What the relay last counted; until its first count the gauges report nothing rather than a made-up zero.</summary>
    public void BacklogMeasured(long pending, TimeSpan oldestAge)
    {
        lock (_lock)
        {
            _backlog = new Backlog(pending, oldestAge);
        }
    }

    private IEnumerable<Measurement<long>> ObservePending()
    {
        lock (_lock)
        {
            return _backlog is { } backlog ? [new Measurement<long>(backlog.Pending)] : [];
        }
    }

    private IEnumerable<Measurement<double>> ObserveOldestAge()
    {
        lock (_lock)
        {
            return _backlog is { } backlog ? [new Measurement<double>(backlog.OldestAge.TotalSeconds)] : [];
        }
    }

    private static TagList Tags(string kind, string? eventType) => new()
    {
        { "outbox.kind", kind },
        { "event.type", eventType ?? kind },
    };

    private sealed record Backlog(long Pending, TimeSpan OldestAge);
}
