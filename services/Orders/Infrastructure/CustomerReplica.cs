using Npgsql;
using Orders.Domain;

namespace Orders.Infrastructure;

/// <summary>What orders' replica holds of a customer.</summary>
public abstract record ReplicatedCustomer
{
    private ReplicatedCustomer()
    {
    }

    public sealed record Live(CustomerCopy Copy) : ReplicatedCustomer;

    /// <summary>customer.deleted.v1 arrived: the customer is gone for good.</summary>
    public sealed record Deleted : ReplicatedCustomer;
}

/// <summary>
/// The statements on <c>customer_replica</c> (migration 0002): orders' copy of the customers, written by the customer
/// events and by read-through, read by checkout. Every write is guarded: a row only moves to a newer version, and a
/// tombstone is never brought back, whatever order the writers come in.
/// </summary>
public static class CustomerReplica
{
    /// <returns>Null when orders has not heard of the customer.</returns>
    public static async Task<ReplicatedCustomer?> ReadAsync(NpgsqlDataSource database, Guid customerId, CancellationToken ct)
    {
        await using var command = database.CreateCommand("SELECT name, email, version, deleted FROM customer_replica WHERE customer_id = $1");
        command.Parameters.Add(new() { Value = customerId });
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return null;
        }

        return reader.GetBoolean(3)
            ? new ReplicatedCustomer.Deleted()
            : new ReplicatedCustomer.Live(new CustomerCopy(reader.GetString(0), reader.GetString(1), reader.GetInt32(2)));
    }

    public static NpgsqlBatchCommand Keep(Guid customerId, CustomerCopy copy) => new("""
        INSERT INTO customer_replica (customer_id, name, email, version) VALUES ($1, $2, $3, $4)
        ON CONFLICT (customer_id) DO UPDATE SET name = excluded.name, email = excluded.email, version = excluded.version, updated_at = now()
        WHERE customer_replica.version < excluded.version AND NOT customer_replica.deleted
        """)
    {
        Parameters =
        {
            new() { Value = customerId },
            new() { Value = copy.Name },
            new() { Value = copy.Email },
            new() { Value = copy.Version },
        },
    };

    /// <summary>Leaves a tombstone, also for a customer the replica never held, so that a late created event cannot revive it.</summary>
    public static NpgsqlBatchCommand Forget(Guid customerId) => new("""
        INSERT INTO customer_replica (customer_id, name, email, version, deleted) VALUES ($1, NULL, NULL, 0, true)
        ON CONFLICT (customer_id) DO UPDATE SET name = NULL, email = NULL, deleted = true, updated_at = now()
        """)
    {
        Parameters = { new() { Value = customerId } },
    };
}
