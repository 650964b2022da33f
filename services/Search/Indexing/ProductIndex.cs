using Npgsql;
using NpgsqlTypes;
using Persistence;

namespace Search.Indexing;

public enum IndexOutcome
{
    /// <summary>The index now holds this version.</summary>
    Applied,

    /// <summary>The index already held this version or a newer one; nothing changed.</summary>
    Stale,

    /// <summary>This event id was handled before; nothing changed.</summary>
    Duplicate,
}

/// <summary>The write side of the search read model: products kept at the newest catalog version seen.</summary>
public sealed class ProductIndex(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// Applies a product event exactly once: the event id goes into processed_events in the same transaction as the
    /// change, so a redelivery finds it and changes nothing, and a crash before the commit leaves neither behind.
    /// </summary>
    public async Task<IndexOutcome> ApplyEventAsync(string eventId, string eventType, IndexedProduct product, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        if (!await ProcessedEvents.TryRecordAsync(connection, transaction, eventId, eventType, ct))
        {
            return IndexOutcome.Duplicate;
        }

        var outcome = await UpsertAsync(connection, transaction, product, ct);
        await transaction.CommitAsync(ct);
        return outcome;
    }

    /// <summary>For the rebuild, whose products come from the catalog itself and carry no event id.</summary>
    public async Task<IndexOutcome> ApplyAsync(IndexedProduct product, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await UpsertAsync(connection, null, product, ct);
    }

    /// <summary>
    /// Writes the product only if its version is newer than the stored one. Events carry no ordering guarantee and the
    /// rebuild runs beside live events, so "newest version wins" is what makes every arrival order end in the same row.
    /// </summary>
    private static async Task<IndexOutcome> UpsertAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, IndexedProduct p, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            INSERT INTO products (id, sku, name, description, category, price, currency, language, version, deleted)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            ON CONFLICT (id) DO UPDATE SET
                sku = excluded.sku, name = excluded.name, description = excluded.description, category = excluded.category,
                price = excluded.price, currency = excluded.currency, language = excluded.language,
                version = excluded.version, deleted = excluded.deleted, indexed_at = now()
            WHERE products.version < excluded.version
            """, connection, transaction)
        {
            Parameters =
            {
                new() { Value = p.Id },
                new() { Value = p.Sku },
                new() { Value = p.Name },
                new() { Value = (object?)p.Description ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
                new() { Value = p.Category },
                new() { Value = p.Price },
                new() { Value = p.Currency },
                new() { Value = (object?)p.Language ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
                new() { Value = p.Version },
                new() { Value = p.Deleted },
            },
        };
        return await command.ExecuteNonQueryAsync(ct) == 1 ? IndexOutcome.Applied : IndexOutcome.Stale;
    }
}
