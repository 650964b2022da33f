using Npgsql.Replication;
using NpgsqlTypes;

namespace Customers.ChangeCapture;

/// <summary>
/// What the relay tells the slot it is done with. Two sources confirm: the read loop after a transaction is published,
/// and, while nothing is pending, a timer that lets the slot follow WAL that holds no customers change at all.
/// </summary>
/// <remarks>
/// <para>
/// Without the timer a slot confirms only at customers commits. WAL is shared by every database of the server, so while
/// customers is quiet the slot would hold on to all the WAL other services write, and the lag gauge would grow for a
/// relay with nothing to do (Debezium solves the same with heartbeat writes).
/// </para>
/// <para>
/// Why confirming <see cref="ReplicationConnection.LastReceivedLsn"/> at any moment loses nothing: Npgsql raises it from
/// the header of each message it reads and from the server's keepalives. Within a transaction pgoutput's messages carry
/// the position of the change itself (or 0/0), always before the transaction's commit record, and PostgreSQL sends a
/// transaction again after a restart unless its commit record starts before the confirmed position. The commit message
/// carries the transaction's end, but the loop reads it only after every change before it was published. A keepalive
/// carries the position the server has decoded up to, and comes after everything it sent before.
/// </para>
/// </remarks>
public sealed class SlotConfirmation(ReplicationConnection replication)
{
    private readonly Lock _lock = new();
    private NpgsqlLogSequenceNumber _confirmed;

    /// <summary>Sets the position the next status update reports, unless it would go back.</summary>
    /// <returns>True when the position moved, so a status update is worth sending.</returns>
    public bool Advance(NpgsqlLogSequenceNumber lsn)
    {
        lock (_lock)
        {
            if (lsn <= _confirmed)
            {
                return false;
            }

            replication.SetReplicationStatus(lsn);
            _confirmed = lsn;
            return true;
        }
    }

    /// <summary>Confirms whatever the connection has received, every <paramref name="interval"/>, until cancelled.</summary>
    public async Task FollowWhileIdleAsync(TimeSpan interval, TimeProvider time, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(interval, time);
        while (await timer.WaitForNextTickAsync(ct))
        {
            if (Advance(replication.LastReceivedLsn))
            {
                await replication.SendStatusUpdate(ct);
            }
        }
    }
}
