using Microsoft.Extensions.Options;
using Npgsql;

namespace Customers.ChangeCapture;

/// <summary>The relay's permanent logical replication slot, through ordinary SQL on the service's own connection.</summary>
public sealed class ReplicationSlot(NpgsqlDataSource database, IOptions<ChangeCaptureOptions> options)
{
    private string Name => options.Value.Slot;

    /// <summary>
    /// Creates the slot unless it exists. It is permanent, not temporary: a temporary slot dies with its connection, and
    /// with it the position up to which changes were confirmed, so every change made while the relay was down would be lost.
    /// </summary>
    public async Task EnsureAsync(CancellationToken ct)
    {
        if (await DescribeAsync(ct) is { } existing)
        {
            existing.ThrowIfNotUsable(Name);
            return;
        }

        try
        {
            await using var create = database.CreateCommand("SELECT pg_create_logical_replication_slot($1, 'pgoutput')");
            create.Parameters.Add(new() { Value = Name });
            await create.ExecuteNonQueryAsync(ct);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateObject)
        {
            // Another instance created it between our look and our create; it is checked below like any existing slot.
        }

        var created = await DescribeAsync(ct) ?? throw new InvalidOperationException($"replication slot {Name} vanished right after it was created");
        created.ThrowIfNotUsable(Name);
    }

    /// <summary>WAL written since the slot's confirmed position; null when the slot does not exist.</summary>
    public async Task<long?> LagBytesAsync(CancellationToken ct)
    {
        await using var command = database.CreateCommand(
            "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint FROM pg_replication_slots WHERE slot_name = $1");
        command.Parameters.Add(new() { Value = Name });
        return await command.ExecuteScalarAsync(ct) as long?;
    }

    private async Task<SlotDescription?> DescribeAsync(CancellationToken ct)
    {
        await using var command = database.CreateCommand("""
            SELECT database = current_database(), plugin, temporary
            FROM pg_replication_slots WHERE slot_name = $1
            """);
        command.Parameters.Add(new() { Value = Name });
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct)
            ? new SlotDescription(!reader.IsDBNull(0) && reader.GetBoolean(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetBoolean(2))
            : null;
    }

    private sealed record SlotDescription(bool InThisDatabase, string? Plugin, bool Temporary)
    {
        // Slot names are cluster-wide: a slot of the same name may belong to another database or another tool.
        public void ThrowIfNotUsable(string name)
        {
            if (!InThisDatabase || Plugin != "pgoutput" || Temporary)
            {
                throw new InvalidOperationException(
                    $"replication slot {name} exists but is not a permanent pgoutput slot of this database " +
                    $"(in this database: {InThisDatabase}, plugin: {Plugin ?? "none (physical)"}, temporary: {Temporary}); " +
                    $"configure another name in {ChangeCaptureOptions.Section}:{nameof(ChangeCaptureOptions.Slot)}");
            }
        }
    }
}
