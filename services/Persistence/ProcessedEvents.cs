using Npgsql;

namespace Persistence;

/// <summary>
/// The idempotent-consumer inbox: a handler records the id of the event it handles in the SAME transaction as the change
/// the event causes. A redelivered event then finds its id and changes nothing; a crash before the commit leaves
/// neither the change nor the id, so the redelivery does the work. Each service creates the table in a migration:
/// <code>CREATE TABLE processed_events (event_id text PRIMARY KEY, event_type text NOT NULL, processed_at timestamptz NOT NULL DEFAULT now());</code>
/// </summary>
public static class ProcessedEvents
{
    /// <returns>False when the event was already processed: the caller must then do nothing and acknowledge.</returns>
    public static async Task<bool> TryRecordAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string eventId, string eventType, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            "INSERT INTO processed_events (event_id, event_type) VALUES ($1, $2) ON CONFLICT (event_id) DO NOTHING", connection, transaction)
        {
            Parameters = { new() { Value = eventId }, new() { Value = eventType } },
        };
        return await command.ExecuteNonQueryAsync(ct) == 1;
    }
}
