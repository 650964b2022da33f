using System.Diagnostics.Metrics;

namespace Payments.Infrastructure;

/// <summary>The ledger's instruments, on the service's own meter (<c>Dapr.Services.payments</c>) which ServiceDefaults exports.</summary>
public sealed class LedgerMetrics
{
    private readonly Counter<long> _commands;
    private readonly Counter<long> _conflicts;

    public LedgerMetrics(ServiceInstrumentation instrumentation)
    {
        var meter = instrumentation.Meter;
        _commands = meter.CreateCounter<long>("payments.ledger.commands", "{command}",
            "Commands handled, by operation and outcome (applied, repeat, or the rejection's code).");
        _conflicts = meter.CreateCounter<long>("payments.ledger.concurrency_conflicts", "{conflict}",
            "Commands that lost an optimistic concurrency race on a stream and were tried again with fresh state.");
    }

    public void Handled(string operation, string outcome) =>
        _commands.Add(1, new KeyValuePair<string, object?>("operation", operation), new KeyValuePair<string, object?>("outcome", outcome));

    public void Conflict(string operation) => _conflicts.Add(1, new KeyValuePair<string, object?>("operation", operation));
}
