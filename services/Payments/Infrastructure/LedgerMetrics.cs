using System.Diagnostics.Metrics;

namespace Payments.Infrastructure;

/// <summary>The ledger's instruments, on the service's own meter (<c>Dapr.Services.payments</c>) which ServiceDefaults exports.</summary>
public sealed class LedgerMetrics
{
    private readonly Counter<long> _commands;
    private readonly Counter<long> _conflicts;
    private readonly Histogram<int> _captureGroups;
    private readonly Counter<long> _captureGroupSplits;

    public LedgerMetrics(ServiceInstrumentation instrumentation)
    {
        var meter = instrumentation.Meter;
        _commands = meter.CreateCounter<long>("payments.ledger.commands", "{command}",
            "Commands handled, by operation and outcome (applied, repeat, or the rejection's code).");
        _conflicts = meter.CreateCounter<long>("payments.ledger.concurrency_conflicts", "{conflict}",
            "Commands that lost an optimistic concurrency race on a stream and were tried again with fresh state.");
        _captureGroups = meter.CreateHistogram<int>("payments.ledger.capture_group_size", "{capture}",
            "Captures committed together in one transaction (1 when none was waiting).",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32] });
        _captureGroupSplits = meter.CreateCounter<long>("payments.ledger.capture_group_splits", "{split}",
            "Groups of captures that failed to commit (a lost race on one of their streams, or a fault) and were split in two.");
    }

    public void Handled(string operation, string outcome) =>
        _commands.Add(1, new KeyValuePair<string, object?>("operation", operation), new KeyValuePair<string, object?>("outcome", outcome));

    public void CaptureGroup(int size) => _captureGroups.Record(size);

    public void CaptureGroupSplit() => _captureGroupSplits.Add(1);

    public void Conflict(string operation) => _conflicts.Add(1, new KeyValuePair<string, object?>("operation", operation));
}
