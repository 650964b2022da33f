using Dapr.Client;
using Microsoft.Extensions.Options;
using Npgsql;
using Npgsql.Replication;
using Npgsql.Replication.PgOutput;
using Npgsql.Replication.PgOutput.Messages;
using NpgsqlTypes;
using Persistence;

namespace Customers.ChangeCapture;

/// <summary>
/// Change data capture, the way Debezium does it: reads the customers database's own WAL through the logical replication
/// slot (pgoutput), publishes every committed insert, update and delete of a customer to Dapr pub/sub, and confirms a
/// transaction to the slot only after the sidecar accepted all of its events.
/// </summary>
/// <remarks>
/// <para>
/// At least once: whatever goes wrong (the sidecar refuses or is gone, the database connection drops, the process is
/// killed) the relay starts over from the slot's confirmed position, and PostgreSQL sends again every transaction not
/// confirmed yet. Events of a transaction published before the failure go out a second time with the same id.
/// Duplicates are bounded by what was in flight: confirmed transactions are never sent again.
/// </para>
/// <para>
/// Order: one reader, one publish at a time, in commit order; so the topic holds each customer's changes in the order
/// they were committed, and each event carries the row's version for consumers that receive out of order.
/// </para>
/// <para>
/// Latency: pgoutput sends a transaction as soon as its commit is decoded, each change is published as it arrives, and
/// the confirmation goes to the server right after the commit message instead of with the 10-second status interval.
/// </para>
/// </remarks>
public sealed class CustomerChangeRelay(
    PostgresDatabaseOptions database,
    ReplicationSlot slot,
    IOptions<ChangeCaptureOptions> options,
    DaprClient dapr,
    ChangeCaptureMetrics metrics,
    TimeProvider time,
    ILogger<CustomerChangeRelay> logger) : BackgroundService
{
    private ChangeCaptureOptions Options => options.Value;

    /// <summary>
    /// Makes sure the slot exists before the host goes on to start Kestrel: a change committed before the slot was created
    /// is in no slot's reach, so the API must not accept a write until then.
    /// </summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await slot.EnsureAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = RetryDelay.Default();
        var standingBy = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RelayAsync(onConfirmed: delay.Reset, stoppingToken);
                logger.LogWarning("The replication stream of slot {Slot} was closed by the server; reconnecting", Options.Slot);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ObjectInUse)
            {
                // Another instance of the service is relaying; this one stands by and takes over when that one goes.
                logger.Log(standingBy ? LogLevel.Debug : LogLevel.Information,
                    "Replication slot {Slot} is in use by another relay ({Message}); standing by", Options.Slot, e.MessageText);
                standingBy = true;
            }
            catch (Exception e)
            {
                metrics.RelayFailed();
                logger.LogWarning(e, "Change capture stopped; resuming from the last position confirmed to slot {Slot}", Options.Slot);
            }

            await Task.Delay(delay.Next(), time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task RelayAsync(Action onConfirmed, CancellationToken ct)
    {
        // While the sidecar is away nothing can be confirmed; holding the slot meanwhile would only decode WAL for nothing.
        await WaitForSidecarAsync(ct);

        await using var replication = new LogicalReplicationConnection(database.ConnectionString);
        await replication.Open(ct);
        var stream = replication.StartReplication(
            new PgOutputReplicationSlot(Options.Slot),
            new PgOutputReplicationOptions(Options.Publication, PgOutputProtocolVersion.V1, binary: true),
            ct);
        logger.LogDebug("Starting replication of publication {Publication} from slot {Slot} to {PubSub}/{Topic}",
            Options.Publication, Options.Slot, Options.PubSub, Options.Topic);

        var confirmation = new SlotConfirmation(replication);
        using var stopFollowing = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var following = confirmation.FollowWhileIdleAsync(Options.IdleConfirmInterval, time, stopFollowing.Token);
        try
        {
            await RelayStreamAsync(stream, replication, confirmation, onConfirmed, ct);
        }
        finally
        {
            await stopFollowing.CancelAsync();
            try
            {
                await following;
            }
            catch (OperationCanceledException) when (stopFollowing.IsCancellationRequested)
            {
                // Stopped with the stream, as intended; any other failure of it is the relay's failure and goes up.
            }
        }
    }

    private async Task RelayStreamAsync(
        IAsyncEnumerable<PgOutputReplicationMessage> stream,
        LogicalReplicationConnection replication,
        SlotConfirmation confirmation,
        Action onConfirmed,
        CancellationToken ct)
    {
        Transaction? transaction = null;
        // Messages and their tuples are recycled by Npgsql: each is read completely before the loop moves on. Each change
        // is published before the next message is read, which SlotConfirmation relies on.
        await foreach (var message in stream)
        {
            switch (message)
            {
                case BeginMessage begin:
                    transaction = new Transaction(begin.TransactionFinalLsn, begin.TransactionCommitTimestamp);
                    break;
                case InsertMessage insert:
                    await PublishAsync(CustomerChangeEvents.ForInsert(NextPosition(transaction), await ReadAsync(insert.Relation, insert.NewRow, ct)), ct);
                    break;
                case UpdateMessage update:
                    // Only the new row is read; Npgsql skips the old one (sent only under REPLICA IDENTITY FULL).
                    await PublishAsync(CustomerChangeEvents.ForUpdate(NextPosition(transaction), await ReadAsync(update.Relation, update.NewRow, ct)), ct);
                    break;
                case KeyDeleteMessage delete:
                    await PublishAsync(CustomerChangeEvents.ForDelete(NextPosition(transaction), await ReadAsync(delete.Relation, delete.Key, ct)), ct);
                    break;
                case FullDeleteMessage delete:
                    await PublishAsync(CustomerChangeEvents.ForDelete(NextPosition(transaction), await ReadAsync(delete.Relation, delete.OldRow, ct)), ct);
                    break;
                case CommitMessage commit:
                    // Every event of the transaction is with the sidecar: only now may the slot move past it. The end LSN
                    // (not the commit record's start) is what a restart resumes after. Sent at once, not with the
                    // 10-second status interval, so the slot's lag reflects what is really pending.
                    if (confirmation.Advance(commit.TransactionEndLsn))
                    {
                        await replication.SendStatusUpdate(ct);
                    }

                    transaction = null;
                    onConfirmed();
                    break;
            }
        }
    }

    private async Task WaitForSidecarAsync(CancellationToken ct)
    {
        // A health probe is one local HTTP call: cheap enough to ask every second, so publishing resumes soon after.
        var delay = new RetryDelay(TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(1));
        while (!await dapr.CheckOutboundHealthAsync(ct))
        {
            await Task.Delay(delay.Next(), time, ct);
        }
    }

    private async Task PublishAsync(ChangeEvent change, CancellationToken ct)
    {
        await dapr.PublishEventAsync(Options.PubSub, Options.Topic, change.Data, change.Metadata, ct);
        metrics.Published(change, time.GetUtcNow().UtcDateTime - change.Position.CommittedAt);
    }

    private static ChangePosition NextPosition(Transaction? transaction) =>
        transaction?.Next() ?? throw new InvalidDataException("pgoutput sent a change outside a transaction");

    /// <summary>A row by column name. Binary mode (PostgreSQL 14+) gives typed values: uuid as Guid, timestamptz as UTC DateTime.</summary>
    private static async Task<Dictionary<string, object?>> ReadAsync(RelationMessage relation, ReplicationTuple tuple, CancellationToken ct)
    {
        // The publication names only this table; anything else means it was changed behind the service's back.
        if (relation.RelationName != "customers")
        {
            throw new InvalidDataException($"publication {relation.Namespace}.{relation.RelationName} is not the customers table");
        }

        var row = new Dictionary<string, object?>(relation.Columns.Count, StringComparer.Ordinal);
        var column = 0;
        await foreach (var value in tuple.WithCancellation(ct))
        {
            var name = relation.Columns[column++].ColumnName;
            if (value.IsUnchangedToastedValue)
            {
                // The table's length limits keep every value inline; publishing a row without this column would be wrong.
                throw new InvalidDataException($"column {name} of a customers row arrived as an unchanged TOASTed value");
            }

            row[name] = value.IsDBNull ? null : await value.Get(ct);
        }

        return row;
    }

    /// <summary>The transaction being read: its commit LSN and time (known from BEGIN) and how many changes came so far.</summary>
    private sealed class Transaction(NpgsqlLogSequenceNumber commitLsn, DateTime committedAt)
    {
        private int _changes;

        public ChangePosition Next() => new(commitLsn, _changes++, committedAt);
    }
}
