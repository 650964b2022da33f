using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Orders.Domain;
using Orders.Outbox;
using Persistence;

namespace Orders.Infrastructure;

public abstract record CheckoutResult
{
    private CheckoutResult()
    {
    }

    public sealed record Created(Order Order) : CheckoutResult;

    /// <summary>An order with this id was there already; nothing was written.</summary>
    public sealed record Existing(Order Order) : CheckoutResult;
}

/// <summary>
/// Orders through plain, parameterised SQL. Every write is one transaction that also writes what has to leave the
/// service because of it (the saga start, the event) to the outbox, so the change and its message commit together or
/// not at all; the relay is woken once the transaction has committed.
/// </summary>
public sealed class OrderStore(NpgsqlDataSource database, OutboxSignal outbox)
{
    private const string OrderColumns =
        "order_id, customer_id, customer_name, customer_email, customer_version, total, currency, status, cancellation_reason, needs_attention, attention_reason";

    public async Task<Order?> GetAsync(string orderId, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        return await ReadAsync(connection, null, orderId, forUpdate: false, ct);
    }

    /// <summary>
    /// Inserts the order with its lines, its first history row and the saga start, or finds the order that holds the id.
    /// <c>ON CONFLICT DO NOTHING</c> makes concurrent checkouts of one id wait for the first one's commit and then
    /// write nothing, so the saga is asked to start once however many times the checkout arrives.
    /// </summary>
    public async Task<CheckoutResult> CheckoutAsync(Order order, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        await using (var transaction = await connection.BeginTransactionAsync(ct))
        {
            await using var insert = new NpgsqlCommand($"""
                INSERT INTO orders ({OrderColumns}, created_at, updated_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)
                ON CONFLICT (order_id) DO NOTHING
                """, connection, transaction)
            {
                Parameters =
                {
                    new() { Value = order.OrderId },
                    new() { Value = order.CustomerId },
                    new() { Value = order.Customer.Name },
                    new() { Value = order.Customer.Email },
                    new() { Value = order.Customer.Version },
                    new() { Value = order.Total },
                    new() { Value = order.Currency },
                    new() { Value = order.Status.ToString() },
                    new() { Value = (object?)order.CancellationReason ?? DBNull.Value },
                    new() { Value = order.NeedsAttention },
                    new() { Value = (object?)order.AttentionReason ?? DBNull.Value },
                    new() { Value = order.History[0].At },
                },
            };
            if (await insert.ExecuteNonQueryAsync(ct) == 1)
            {
                await ExecuteAsync(connection, transaction,
                [
                    .. InsertLines(order),
                    .. order.History.Select(change => InsertHistory(order.OrderId, change)),
                    InsertOutbox(OutboxKind.StartSaga, order.OrderId, eventType: null, Checkout.SagaInput(order)),
                ], ct);
                await transaction.CommitAsync(ct);
                outbox.Notify();
                return new CheckoutResult.Created(order);
            }
        }

        // Read after the conflicting transaction committed (the insert waited for it), so the order is complete.
        var existing = await ReadAsync(connection, null, order.OrderId, forUpdate: false, ct)
            ?? throw new InvalidOperationException($"order {order.OrderId} conflicted on insert but cannot be read");
        return new CheckoutResult.Existing(existing);
    }

    /// <summary>
    /// Locks the order row (<c>SELECT … FOR UPDATE</c>), lets <paramref name="decide"/> judge the order as it is now, and
    /// writes a <see cref="Transition.Changed"/> with its history row and its event in the same transaction. Two
    /// concurrent commands on one order run one after the other, so the second sees the first's outcome.
    /// </summary>
    /// <returns>Null when there is no such order.</returns>
    public async Task<Transition?> ApplyAsync(string orderId, Func<Order, Transition> decide, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        if (await ReadAsync(connection, transaction, orderId, forUpdate: true, ct) is not { } order)
        {
            return null;
        }

        var transition = decide(order);
        if (transition is not Transition.Changed changed)
        {
            return transition;
        }

        var updated = changed.Order;
        List<NpgsqlBatchCommand> writes =
        [
            new("""
                UPDATE orders SET status = $2, cancellation_reason = $3, needs_attention = $4, attention_reason = $5, updated_at = now()
                WHERE order_id = $1
                """)
            {
                Parameters =
                {
                    new() { Value = orderId },
                    new() { Value = updated.Status.ToString() },
                    new() { Value = (object?)updated.CancellationReason ?? DBNull.Value },
                    new() { Value = updated.NeedsAttention },
                    new() { Value = (object?)updated.AttentionReason ?? DBNull.Value },
                },
            },
        ];
        if (changed.Recorded is { } change)
        {
            writes.Add(InsertHistory(orderId, change));
        }

        if (changed.Event is { } orderEvent)
        {
            writes.Add(InsertOutbox(OutboxKind.Event, orderId, orderEvent.Type, orderEvent.Data));
        }

        await ExecuteAsync(connection, transaction, writes, ct);
        await transaction.CommitAsync(ct);
        if (changed.Event is not null)
        {
            outbox.Notify();
        }

        return changed;
    }

    /// <summary>
    /// Takes a newer copy of a customer's name and e-mail into orders' replica and all of their orders, and records the
    /// event as processed in the same transaction: a redelivery finds its id and changes nothing, an older version
    /// changes nothing either.
    /// </summary>
    /// <returns>The number of orders refreshed, or null when the event had been processed before.</returns>
    public Task<int?> RefreshCustomerAsync(string eventId, string eventType, Guid customerId, CustomerCopy copy, CancellationToken ct) =>
        ApplyOnceAsync(eventId, eventType, async (connection, transaction) =>
        {
            await using var batch = new NpgsqlBatch(connection, transaction)
            {
                BatchCommands =
                {
                    new NpgsqlBatchCommand("""
                        UPDATE orders SET customer_name = $2, customer_email = $3, customer_version = $4, updated_at = now()
                        WHERE customer_id = $1 AND customer_version < $4
                        """)
                    {
                        Parameters =
                        {
                            new() { Value = customerId },
                            new() { Value = copy.Name },
                            new() { Value = copy.Email },
                            new() { Value = copy.Version },
                        },
                    },
                    CustomerReplica.Keep(customerId, copy),
                },
            };
            await batch.ExecuteNonQueryAsync(ct);
            return batch.BatchCommands[0].RecordsAffected;
        }, ct);

    /// <summary>
    /// Leaves a tombstone for a deleted customer in orders' replica, so checkout refuses them from now on, and records the
    /// event as processed in the same transaction. Their orders keep the copy they were placed with.
    /// </summary>
    /// <returns>False when the event had been processed before.</returns>
    public async Task<bool> ForgetCustomerAsync(string eventId, string eventType, Guid customerId, CancellationToken ct) =>
        await ApplyOnceAsync(eventId, eventType, async (connection, transaction) =>
        {
            await ExecuteAsync(connection, transaction, [CustomerReplica.Forget(customerId)], ct);
            return true;
        }, ct) is true;

    /// <summary>
    /// The idempotent consumer's transaction: records the event id and runs <paramref name="apply"/> in one transaction,
    /// so an event changes the data once however often it is delivered.
    /// </summary>
    /// <returns>What <paramref name="apply"/> returned, or null when the event had been processed before.</returns>
    private async Task<T?> ApplyOnceAsync<T>(
        string eventId, string eventType, Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> apply, CancellationToken ct) where T : struct
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        if (!await ProcessedEvents.TryRecordAsync(connection, transaction, eventId, eventType, ct))
        {
            return null;
        }

        var result = await apply(connection, transaction);
        await transaction.CommitAsync(ct);
        return result;
    }

    /// <summary>The order, its lines and its history in one round trip (one batch of three statements).</summary>
    private static async Task<Order?> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string orderId, bool forUpdate, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand($"SELECT {OrderColumns} FROM orders WHERE order_id = $1{(forUpdate ? " FOR UPDATE" : "")}") { Parameters = { new() { Value = orderId } } },
                new NpgsqlBatchCommand("SELECT product_id, sku, name, unit_price, currency, quantity FROM order_lines WHERE order_id = $1 ORDER BY line_no")
                {
                    Parameters = { new() { Value = orderId } },
                },
                new NpgsqlBatchCommand("SELECT status, reason, at FROM order_status_history WHERE order_id = $1 ORDER BY id") { Parameters = { new() { Value = orderId } } },
            },
        };
        await using var reader = await batch.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return null;
        }

        var order = new Order(
            reader.GetString(0),
            reader.GetGuid(1),
            new CustomerCopy(reader.GetString(2), reader.GetString(3), reader.GetInt32(4)),
            Lines: [],
            reader.GetDecimal(5),
            reader.GetString(6),
            Enum.Parse<OrderStatus>(reader.GetString(7)),
            reader.IsDBNull(8) ? null : reader.GetString(8),
            reader.GetBoolean(9),
            reader.IsDBNull(10) ? null : reader.GetString(10),
            History: []);

        await reader.NextResultAsync(ct);
        var lines = new List<OrderLine>();
        while (await reader.ReadAsync(ct))
        {
            lines.Add(new OrderLine(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetDecimal(3), reader.GetString(4), reader.GetInt32(5)));
        }

        await reader.NextResultAsync(ct);
        var history = new List<StatusChange>();
        while (await reader.ReadAsync(ct))
        {
            history.Add(new StatusChange(
                Enum.Parse<OrderStatus>(reader.GetString(0)),
                reader.IsDBNull(1) ? null : reader.GetString(1),
                new DateTimeOffset(reader.GetDateTime(2), TimeSpan.Zero)));
        }

        return order with { Lines = lines, History = history };
    }

    private static IEnumerable<NpgsqlBatchCommand> InsertLines(Order order) => order.Lines.Select((line, i) => new NpgsqlBatchCommand("""
        INSERT INTO order_lines (order_id, line_no, product_id, sku, name, unit_price, currency, quantity)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        """)
    {
        Parameters =
        {
            new() { Value = order.OrderId },
            new() { Value = i + 1 },
            new() { Value = line.ProductId },
            new() { Value = line.Sku },
            new() { Value = line.Name },
            new() { Value = line.UnitPrice },
            new() { Value = line.Currency },
            new() { Value = line.Quantity },
        },
    });

    private static NpgsqlBatchCommand InsertHistory(string orderId, StatusChange change) =>
        new("INSERT INTO order_status_history (order_id, status, reason, at) VALUES ($1, $2, $3, $4)")
        {
            Parameters =
            {
                new() { Value = orderId },
                new() { Value = change.Status.ToString() },
                new() { Value = (object?)change.Reason ?? DBNull.Value },
                new() { Value = change.At },
            },
        };

    private static NpgsqlBatchCommand InsertOutbox(string kind, string orderId, string? eventType, object payload) =>
        new("INSERT INTO outbox (id, kind, order_id, event_type, payload) VALUES ($1, $2, $3, $4, $5)")
        {
            Parameters =
            {
                // Version 7: time-ordered, so ids sort roughly as written; it becomes the CloudEvent id.
                new() { Value = Guid.CreateVersion7() },
                new() { Value = kind },
                new() { Value = orderId },
                new() { Value = (object?)eventType ?? DBNull.Value },
                new() { Value = JsonSerializer.Serialize(payload, payload.GetType(), JsonSerializerOptions.Web), NpgsqlDbType = NpgsqlDbType.Jsonb },
            },
        };

    /// <summary>The writes that follow a transaction's first statement, sent together: one round trip instead of one each.</summary>
    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IEnumerable<NpgsqlBatchCommand> commands, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(connection, transaction);
        foreach (var command in commands)
        {
            batch.BatchCommands.Add(command);
        }

        if (batch.BatchCommands.Count > 0)
        {
            await batch.ExecuteNonQueryAsync(ct);
        }
    }
}
