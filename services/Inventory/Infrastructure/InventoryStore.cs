using Inventory.Domain;
using Npgsql;

namespace Inventory.Infrastructure;

public abstract record SetStockResult
{
    public sealed record Set(StockLevel Stock) : SetStockResult;

    /// <summary>More is reserved than the new on-hand figure: lowering it would break reserved ≤ on hand.</summary>
    public sealed record BelowReserved(int Reserved) : SetStockResult;
}

public abstract record ReserveResult
{
    /// <param name="Repeated">The order had its reservation already; nothing was reserved now.</param>
    public sealed record Reserved(Reservation Reservation, bool Repeated) : ReserveResult;

    /// <summary>Nothing was reserved: these SKUs (unknown ones included) have less available than asked.</summary>
    public sealed record OutOfStock(IReadOnlyList<string> Skus) : ReserveResult;

    /// <summary>The order's reservation was released (or a release came first and left a tombstone).</summary>
    public sealed record AlreadyReleased(Reservation Reservation) : ReserveResult;
}

public enum ReleaseOutcome
{
    /// <summary>The reserved stock went back now.</summary>
    Released,

    /// <summary>Nothing was reserved: a tombstone now refuses a late reserve for the order.</summary>
    Tombstone,

    /// <summary>Released before; nothing changed.</summary>
    Repeated,
}

public sealed record ReleaseResult(Reservation Reservation, ReleaseOutcome Outcome);

/// <summary>
/// Stock and reservations through plain SQL. Every reserve and release is one transaction that takes row locks in SKU
/// order (<see cref="ReservationLines.Normalize"/>); the availability check and the increment are one conditional
/// UPDATE, so two transactions can never both take the last unit.
/// </summary>
public sealed class InventoryStore(NpgsqlDataSource database)
{
    private const string Reserved = nameof(ReservationStatus.Reserved);
    private const string Released = nameof(ReservationStatus.Released);

    public async Task<SetStockResult> SetOnHandAsync(string sku, int onHand, CancellationToken ct)
    {
        // The WHERE of DO UPDATE keeps reserved ≤ on_hand without relying on the CHECK to fail the statement, so the
        // caller learns how much is reserved instead of reading a constraint violation.
        await using var command = database.CreateCommand("""
            INSERT INTO stock (sku, on_hand) VALUES ($1, $2)
            ON CONFLICT (sku) DO UPDATE SET on_hand = EXCLUDED.on_hand, updated_at = now()
            WHERE stock.reserved <= EXCLUDED.on_hand
            RETURNING sku, on_hand, reserved
            """);
        command.Parameters.Add(new() { Value = sku });
        command.Parameters.Add(new() { Value = onHand });
        if (await ReadStockAsync(command, ct) is { } stock)
        {
            return new SetStockResult.Set(stock);
        }

        // Refused because of what is reserved; a release in between may have lowered it since, which is what the
        // caller is told: the figure to wait for or to restock above.
        var current = await GetStockAsync(sku, ct) ?? throw new InvalidOperationException($"stock row {sku} refused an update and then vanished");
        return new SetStockResult.BelowReserved(current.Reserved);
    }

    public async Task<StockLevel?> GetStockAsync(string sku, CancellationToken ct)
    {
        await using var command = database.CreateCommand("SELECT sku, on_hand, reserved FROM stock WHERE sku = $1");
        command.Parameters.Add(new() { Value = sku });
        return await ReadStockAsync(command, ct);
    }

    /// <param name="lines">Normalized: one per SKU, in ordinal SKU order.</param>
    public async Task<ReserveResult> ReserveAsync(string orderId, IReadOnlyList<ReservationLine> lines, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);

        // Claims the order id first. A concurrent reserve or release of the same order waits here on the primary key
        // until this transaction ends, then finds its outcome: the same order is never reserved twice.
        await using (var claim = new NpgsqlCommand(
            "INSERT INTO reservations (order_id, status) VALUES ($1, $2) ON CONFLICT (order_id) DO NOTHING", connection, transaction))
        {
            claim.Parameters.Add(new() { Value = orderId });
            claim.Parameters.Add(new() { Value = Reserved });
            if (await claim.ExecuteNonQueryAsync(ct) == 0)
            {
                var existing = await ReadReservationAsync(connection, transaction, orderId, ct)
                    ?? throw new InvalidOperationException($"reservation {orderId} conflicted on insert and then vanished");
                await transaction.CommitAsync(ct);
                return existing.Status == ReservationStatus.Released
                    ? new ReserveResult.AlreadyReleased(existing)
                    : new ReserveResult.Reserved(existing, Repeated: true);
            }
        }

        // One round trip, executed statement by statement in this order, so the locks are taken in SKU order. Every
        // line runs even after a short one, so the answer names all the short SKUs, not just the first.
        await using var batch = new NpgsqlBatch(connection, transaction);
        foreach (var line in lines)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand("""
                UPDATE stock SET reserved = reserved + $2, updated_at = now()
                WHERE sku = $1 AND on_hand - reserved >= $2
                """)
            {
                Parameters = { new() { Value = line.Sku }, new() { Value = line.Quantity } },
            });
        }

        await batch.ExecuteNonQueryAsync(ct);
        var shortSkus = lines.Where((_, i) => batch.BatchCommands[i].RecordsAffected == 0).Select(line => line.Sku).ToList();
        if (shortSkus.Count > 0)
        {
            // All or nothing: the rollback also drops the claimed order id, so a later attempt may succeed.
            await transaction.RollbackAsync(ct);
            return new ReserveResult.OutOfStock(shortSkus);
        }

        await using (var insertLines = new NpgsqlCommand(
            "INSERT INTO reservation_lines (order_id, sku, quantity) SELECT $1, * FROM unnest($2::text[], $3::integer[])", connection, transaction))
        {
            insertLines.Parameters.Add(new() { Value = orderId });
            insertLines.Parameters.Add(new() { Value = lines.Select(l => l.Sku).ToArray() });
            insertLines.Parameters.Add(new() { Value = lines.Select(l => l.Quantity).ToArray() });
            await insertLines.ExecuteNonQueryAsync(ct);
        }

        await transaction.CommitAsync(ct);
        return new ReserveResult.Reserved(new Reservation(orderId, ReservationStatus.Reserved, lines), Repeated: false);
    }

    public async Task<ReleaseResult> ReleaseAsync(string orderId, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);

        // Nothing reserved yet: the tombstone. It takes the order id, so a reserve that arrives after its compensation
        // is refused instead of holding stock for an order that is being cancelled.
        await using (var tombstone = new NpgsqlCommand(
            "INSERT INTO reservations (order_id, status, released_at) VALUES ($1, $2, now()) ON CONFLICT (order_id) DO NOTHING", connection, transaction))
        {
            tombstone.Parameters.Add(new() { Value = orderId });
            tombstone.Parameters.Add(new() { Value = Released });
            if (await tombstone.ExecuteNonQueryAsync(ct) == 1)
            {
                await transaction.CommitAsync(ct);
                return new ReleaseResult(new Reservation(orderId, ReservationStatus.Released, []), ReleaseOutcome.Tombstone);
            }
        }

        // Locks the reservation, so of two concurrent releases only the first gives the stock back.
        await using (var lockRow = new NpgsqlCommand("SELECT 1 FROM reservations WHERE order_id = $1 FOR UPDATE", connection, transaction))
        {
            lockRow.Parameters.Add(new() { Value = orderId });
            await lockRow.ExecuteNonQueryAsync(ct);
        }

        var reservation = await ReadReservationAsync(connection, transaction, orderId, ct)
            ?? throw new InvalidOperationException($"reservation {orderId} conflicted on insert and then vanished");
        if (reservation.Status == ReservationStatus.Released)
        {
            await transaction.CommitAsync(ct);
            return new ReleaseResult(reservation, ReleaseOutcome.Repeated);
        }

        // Lines come back in SKU order (ReadReservationAsync), the same lock order as a reserve.
        await using var batch = new NpgsqlBatch(connection, transaction);
        foreach (var line in reservation.Lines)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand("UPDATE stock SET reserved = reserved - $2, updated_at = now() WHERE sku = $1")
            {
                Parameters = { new() { Value = line.Sku }, new() { Value = line.Quantity } },
            });
        }

        batch.BatchCommands.Add(new NpgsqlBatchCommand("UPDATE reservations SET status = $2, released_at = now() WHERE order_id = $1")
        {
            Parameters = { new() { Value = orderId }, new() { Value = Released } },
        });
        await batch.ExecuteNonQueryAsync(ct);
        await transaction.CommitAsync(ct);
        return new ReleaseResult(reservation with { Status = ReservationStatus.Released }, ReleaseOutcome.Released);
    }

    public async Task<Reservation?> GetReservationAsync(string orderId, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        return await ReadReservationAsync(connection, null, orderId, ct);
    }

    private static async Task<Reservation?> ReadReservationAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string orderId, CancellationToken ct)
    {
        // COLLATE "C" sorts as StringComparer.Ordinal does for this ASCII alphabet: the same order reserves lock in.
        await using var command = new NpgsqlCommand("""
            SELECT r.status, l.sku, l.quantity
            FROM reservations r LEFT JOIN reservation_lines l USING (order_id)
            WHERE r.order_id = $1
            ORDER BY l.sku COLLATE "C"
            """, connection, transaction);
        command.Parameters.Add(new() { Value = orderId });
        await using var reader = await command.ExecuteReaderAsync(ct);
        ReservationStatus? status = null;
        var lines = new List<ReservationLine>();
        while (await reader.ReadAsync(ct))
        {
            status = Enum.Parse<ReservationStatus>(reader.GetString(0));
            if (!reader.IsDBNull(1))
            {
                lines.Add(new ReservationLine(reader.GetString(1), reader.GetInt32(2)));
            }
        }

        return status is { } found ? new Reservation(orderId, found, lines) : null;
    }

    private static async Task<StockLevel?> ReadStockAsync(NpgsqlCommand command, CancellationToken ct)
    {
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? new StockLevel(reader.GetString(0), reader.GetInt32(1), reader.GetInt32(2)) : null;
    }
}
