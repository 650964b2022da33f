using Microsoft.Extensions.Options;
using Npgsql;

namespace Customers.ChangeCapture;

/// <summary>
/// Refreshes the replication lag gauge. The query runs here on a timer, not in the gauge's callback, because an exporter
/// collects synchronously and must not wait on the database.
/// </summary>
public sealed class ReplicationLagMonitor(
    ReplicationSlot slot,
    IOptions<ChangeCaptureOptions> options,
    ChangeCaptureMetrics metrics,
    TimeProvider time,
    ILogger<ReplicationLagMonitor> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.LagProbeInterval, time);
        try
        {
            do
            {
                try
                {
                    metrics.LagMeasured(await slot.LagBytesAsync(stoppingToken));
                }
                catch (NpgsqlException e) when (!stoppingToken.IsCancellationRequested)
                {
                    // A stale figure would look like a healthy one; report none until the database answers again.
                    metrics.LagMeasured(null);
                    logger.LogWarning(e, "Could not measure the replication lag of slot {Slot}", options.Value.Slot);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The host is stopping: the end of the loop, not a failure.
        }
    }
}
