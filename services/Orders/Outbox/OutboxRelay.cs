using System.Net;
using System.Text;
using System.Text.Json;
using Dapr.Client;
using Microsoft.Extensions.Options;
using Npgsql;
using Orders.Infrastructure;

namespace Orders.Outbox;

/// <summary>
/// Empties the outbox: invokes order-workflow for each <c>start-saga</c> row and publishes each <c>event</c> row to
/// topic <c>orders</c>, and marks a row sent only after the other side accepted it.
/// </summary>
/// <remarks>
/// <para>
/// At least once: a row is marked sent in the transaction that locked it, after delivery; a crash or a failed commit
/// between the two delivers it again. The receivers are idempotent for exactly this (order-workflow answers 200 for an
/// instance that exists; an event keeps its id, the outbox row's, so consumers drop the repeat).
/// </para>
/// <para>
/// Several instances: rows are taken <c>FOR UPDATE SKIP LOCKED</c>, so each instance relays rows no other one holds.
/// A row that fails is retried later with a growing delay (<see cref="RetrySchedule"/>) and never dropped; meanwhile
/// the rows behind it go on, so a down order-workflow does not hold back the order events.
/// </para>
/// <para>
/// Waking: the instance that commits a row signals its own relay (<see cref="OutboxSignal"/>), which is the common
/// case and costs no round trip; rows from other instances and retries that fall due are found by a poll every
/// <see cref="OutboxOptions.PollInterval"/> at the latest.
/// </para>
/// </remarks>
public sealed class OutboxRelay(
    NpgsqlDataSource database,
    DaprClient dapr,
    SidecarInvoker sidecar,
    OutboxSignal signal,
    IOptions<OutboxOptions> options,
    OutboxMetrics metrics,
    TimeProvider time,
    ILogger<OutboxRelay> logger) : BackgroundService
{
    /// <summary>Delivery holds the row's lock; a receiver that hangs must not hold it (and the batch) for long.</summary>
    private static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The backlog is counted at most this often. Under load the relay runs a batch every few milliseconds, and a count
    /// after each was a statement and a commit of its own for every batch (a sixth of the orders database's commits per
    /// saga); the gauges it feeds are read every few seconds at most.
    /// </summary>
    private static readonly TimeSpan BacklogInterval = TimeSpan.FromSeconds(1);

    private DateTimeOffset _backlogMeasuredAt = DateTimeOffset.MinValue;

    /// <summary>When rows fall due again, as far as this relay knows without counting: when to look again.</summary>
    private readonly RetryWakeups _wakeups = new();

    private OutboxOptions Options => options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                var (taken, nextDue) = await RelayBatchAsync(stoppingToken);
                failures = 0;
                // A full batch means more may be waiting: go on at once. Otherwise sleep until the next retry falls due,
                // a commit signals, or the poll interval passes.
                wait = taken == Options.BatchSize ? TimeSpan.Zero : Clamp(nextDue, TimeSpan.FromMilliseconds(10), Options.PollInterval);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The outbox itself could not be read or updated (database gone); what was taken is rolled back and stays unsent.
                failures++;
                wait = RetrySchedule.DelayAfter(failures, Options.FirstRetryDelay, Options.MaxRetryDelay);
                logger.LogWarning(e, "The outbox relay failed to read or update the outbox (failure {Failures}); trying again in {Delay}", failures, wait);
            }

            if (wait > TimeSpan.Zero)
            {
                try
                {
                    await signal.WaitAsync(wait, time, stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
            }
        }
    }

    /// <returns>How many rows were taken, and how long until the next unsent row falls due (null: none is waiting).</returns>
    private async Task<(int Taken, TimeSpan? NextDue)> RelayBatchAsync(CancellationToken ct)
    {
        // This batch takes the rows that fell due; one that fails again schedules its next retry anew.
        _wakeups.RemoveCoveredBy(time.GetUtcNow());

        await using var connection = await database.OpenConnectionAsync(ct);
        var rows = new List<OutboxRow>();
        await using (var transaction = await connection.BeginTransactionAsync(ct))
        {
            await using (var select = new NpgsqlCommand("""
                SELECT id, kind, order_id, event_type, payload::text, attempts, created_at FROM outbox
                WHERE sent_at IS NULL AND next_attempt_at <= now()
                ORDER BY seq
                LIMIT $1
                FOR UPDATE SKIP LOCKED
                """, connection, transaction)
            {
                Parameters = { new() { Value = Options.BatchSize } },
            })
            await using (var reader = await select.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    rows.Add(new OutboxRow(
                        reader.GetGuid(0),
                        reader.GetString(1),
                        reader.GetString(2),
                        reader.IsDBNull(3) ? null : reader.GetString(3),
                        reader.GetString(4),
                        reader.GetInt32(5),
                        new DateTimeOffset(reader.GetDateTime(6), TimeSpan.Zero)));
                }
            }

            var outcomes = await DeliverAllAsync(rows, ct);
            foreach (var row in rows)
            {
                await RecordFailureAsync(connection, transaction, row, outcomes[row.Id], ct);
            }

            await MarkSentAsync(connection, transaction, rows.Where(row => outcomes[row.Id] is { HeldBackByEarlierRow: false, Error: null }).ToList(), ct);
            await transaction.CommitAsync(ct);
        }

        var now = time.GetUtcNow();
        if (now - _backlogMeasuredAt >= BacklogInterval)
        {
            _backlogMeasuredAt = now;
            if (await MeasureBacklogAsync(connection, ct) is { } due)
            {
                // The earliest unsent row, whoever scheduled it (another instance's retries included).
                _wakeups.Add(now + due);
            }
        }

        return (rows.Count, _wakeups.NextFrom(now));
    }

    /// <summary>
    /// Delivers the batch with up to <see cref="OutboxOptions.MaxParallelDeliveries"/> orders in flight at once: one
    /// delivery is a round trip through two sidecars, and one at a time capped checkout at the rate of that round trip.
    /// The rows of one order still go one after another, in the order they were written, and a failure holds back
    /// that order's later rows (they stay unsent, untouched, for the next batch), so no consumer sees them overtake.
    /// </summary>
    private async Task<Dictionary<Guid, Delivery>> DeliverAllAsync(IReadOnlyList<OutboxRow> rows, CancellationToken ct)
    {
        var outcomes = new System.Collections.Concurrent.ConcurrentDictionary<Guid, Delivery>();
        var byOrder = rows.GroupBy(row => row.OrderId).Select(group => group.ToList());
        await Parallel.ForEachAsync(byOrder, new ParallelOptions { MaxDegreeOfParallelism = Options.MaxParallelDeliveries, CancellationToken = ct },
            async (orderRows, token) =>
            {
                var heldBack = false;
                foreach (var row in orderRows)
                {
                    if (heldBack)
                    {
                        outcomes[row.Id] = Delivery.HeldBack;
                        continue;
                    }

                    try
                    {
                        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
                        timeout.CancelAfter(DeliveryTimeout);
                        await DeliverAsync(row, timeout.Token);
                        outcomes[row.Id] = Delivery.Done;
                    }
                    catch (Exception e) when (!token.IsCancellationRequested)
                    {
                        outcomes[row.Id] = Delivery.Failed(e);
                        heldBack = true;
                    }
                }
            });
        return new Dictionary<Guid, Delivery>(outcomes);
    }

    private async Task RecordFailureAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, OutboxRow row, Delivery delivery, CancellationToken ct)
    {
        if (delivery is not { HeldBackByEarlierRow: false, Error: { } e })
        {
            return;
        }

        var delay = RetrySchedule.DelayAfter(row.Attempts + 1, Options.FirstRetryDelay, Options.MaxRetryDelay);
        _wakeups.Add(time.GetUtcNow() + delay);
        metrics.Failed(row.Kind, row.EventType);
        logger.LogWarning(e, "Outbox row {Id} ({Kind} {EventType} of order {OrderId}) failed on attempt {Attempt}; retrying in {Delay}",
            row.Id, row.Kind, row.EventType, row.OrderId, row.Attempts + 1, delay);
        await using var retry = new NpgsqlCommand(
            "UPDATE outbox SET attempts = attempts + 1, last_error = $2, next_attempt_at = now() + $3 WHERE id = $1", connection, transaction)
        {
            Parameters = { new() { Value = row.Id }, new() { Value = e.Message }, new() { Value = delay } },
        };
        await retry.ExecuteNonQueryAsync(ct);
    }

    /// <summary>One statement for every row of the batch that was delivered, rather than one per row.</summary>
    private async Task MarkSentAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<OutboxRow> delivered, CancellationToken ct)
    {
        if (delivered.Count == 0)
        {
            return;
        }

        await using (var sent = new NpgsqlCommand(
            "UPDATE outbox SET attempts = attempts + 1, last_error = NULL, sent_at = now() WHERE id = ANY($1)", connection, transaction)
        {
            Parameters = { new() { Value = delivered.Select(row => row.Id).ToArray() } },
        })
        {
            await sent.ExecuteNonQueryAsync(ct);
        }

        var now = time.GetUtcNow();
        foreach (var row in delivered)
        {
            metrics.Sent(row.Kind, row.EventType, now - row.CreatedAt);
        }
    }

    private async Task DeliverAsync(OutboxRow row, CancellationToken ct)
    {
        switch (row.Kind)
        {
            case OutboxKind.StartSaga:
            {
                using var request = new HttpRequestMessage(HttpMethod.Post,
                    SidecarInvoker.MethodUri(Options.WorkflowAppId, $"sagas/orders/{Uri.EscapeDataString(row.OrderId)}"))
                {
                    Content = new StringContent(row.Payload, Encoding.UTF8, "application/json"),
                };
                using var response = await sidecar.SendAsync(request, ct);
                // 202: scheduled now; 200: the instance existed already (an earlier attempt got through). Both are done.
                if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.Accepted))
                {
                    var body = await response.Content.ReadAsStringAsync(ct);
                    throw new OutboxDeliveryException(
                        $"{Options.WorkflowAppId} answered {(int)response.StatusCode} to the start of saga {row.OrderId}: {body}");
                }

                break;
            }

            case OutboxKind.Event:
            {
                using var payload = JsonDocument.Parse(row.Payload);
                // daprd copies cloudevent.* into the envelope: the id stays the row's however often it is re-sent.
                var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    ["cloudevent.id"] = row.Id.ToString(),
                    ["cloudevent.type"] = row.EventType!,
                    ["cloudevent.subject"] = row.OrderId,
                    ["partitionKey"] = row.OrderId,
                };
                await dapr.PublishEventAsync(Options.PubSub, Options.Topic, payload.RootElement, metadata, ct);
                break;
            }

            default:
                throw new OutboxDeliveryException($"outbox row {row.Id} has kind {row.Kind}, which this version of the relay does not know");
        }
    }

    private async Task<TimeSpan?> MeasureBacklogAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            SELECT count(*), coalesce(now() - min(created_at), interval '0'), min(next_attempt_at) - now()
            FROM outbox WHERE sent_at IS NULL
            """, connection);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        metrics.BacklogMeasured(reader.GetInt64(0), reader.GetTimeSpan(1));
        return reader.IsDBNull(2) ? null : reader.GetTimeSpan(2);
    }

    private static TimeSpan Clamp(TimeSpan? value, TimeSpan min, TimeSpan max) =>
        value is not { } due ? max : due < min ? min : due > max ? max : due;

    /// <summary>What became of one row's delivery in this batch.</summary>
    private sealed record Delivery(Exception? Error, bool HeldBackByEarlierRow)
    {
        public static readonly Delivery Done = new(null, false);
        public static readonly Delivery HeldBack = new(null, true);

        public static Delivery Failed(Exception e) => new(e, false);
    }

    private sealed record OutboxRow(Guid Id, string Kind, string OrderId, string? EventType, string Payload, int Attempts, DateTimeOffset CreatedAt);
}

/// <summary>The receiver of an outbox row did not accept it; the row stays unsent and is retried.</summary>
public sealed class OutboxDeliveryException(string message) : Exception(message);
