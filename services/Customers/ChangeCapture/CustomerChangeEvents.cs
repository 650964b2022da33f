using Customers.Model;
using NpgsqlTypes;

namespace Customers.ChangeCapture;

/// <summary>The data of <c>customer.created.v1</c> and <c>customer.updated.v1</c>: the row as committed.</summary>
/// <param name="Version">Grows with every update; a consumer keeps a copy only if the event's version is newer.</param>
/// <param name="CommittedAt">When the transaction that made the change committed (from the WAL).</param>
public sealed record CustomerChanged(
    Guid Id,
    string Email,
    string Name,
    string? Phone,
    int Version,
    DateTime CreatedAt,
    DateTime UpdatedAt,
    DateTime CommittedAt);

/// <summary>The data of <c>customer.deleted.v1</c>. The API deletes nothing; this covers writers outside it.</summary>
public sealed record CustomerDeleted(Guid Id, DateTime CommittedAt);

/// <summary>One event to publish, with the CloudEvent attributes the sidecar is told to use.</summary>
public sealed record ChangeEvent(ChangePosition Position, string Type, Guid CustomerId, object Data)
{
    /// <summary>Stable across re-reads of the WAL, so a consumer drops a re-published change by id.</summary>
    public string Id => Position.EventId;

    /// <summary>Publish metadata: daprd copies <c>cloudevent.*</c> into the envelope; brokers that partition use the key.</summary>
    public Dictionary<string, string> Metadata => new(StringComparer.Ordinal)
    {
        ["cloudevent.id"] = Id,
        ["cloudevent.type"] = Type,
        ["cloudevent.subject"] = CustomerId.ToString(),
        ["partitionKey"] = CustomerId.ToString(),
    };
}

/// <summary>Where a change sits in the WAL: its transaction's commit LSN and its position within that transaction.</summary>
public readonly record struct ChangePosition(NpgsqlLogSequenceNumber CommitLsn, int Index, DateTime CommittedAt)
{
    /// <summary>
    /// <c>{commit LSN}-{index}</c>, e.g. <c>0/1A2B3C8-0</c>. Decoding the same WAL again yields the same transaction at the
    /// same LSN with its changes in the same order, so the id survives any number of restarts of the relay.
    /// </summary>
    public string EventId => $"{CommitLsn}-{Index}";
}

/// <summary>Turns decoded rows of the customers table into events. No I/O: the relay feeds it what it read from the WAL.</summary>
public static class CustomerChangeEvents
{
    public const string Created = "customer.created.v1";
    public const string Updated = "customer.updated.v1";
    public const string Deleted = "customer.deleted.v1";

    public static ChangeEvent ForInsert(ChangePosition position, IReadOnlyDictionary<string, object?> row) =>
        Changed(Created, position, ToCustomer(row));

    public static ChangeEvent ForUpdate(ChangePosition position, IReadOnlyDictionary<string, object?> row) =>
        Changed(Updated, position, ToCustomer(row));

    /// <param name="key">The replica identity of the deleted row: under REPLICA IDENTITY DEFAULT, the id.</param>
    public static ChangeEvent ForDelete(ChangePosition position, IReadOnlyDictionary<string, object?> key)
    {
        var id = Required<Guid>(key, "id");
        return new ChangeEvent(position, Deleted, id, new CustomerDeleted(id, position.CommittedAt));
    }

    /// <summary>Reads a row by column name, so columns added later do not break the relay; a missing one does.</summary>
    public static Customer ToCustomer(IReadOnlyDictionary<string, object?> row) => new(
        Required<Guid>(row, "id"),
        Required<string>(row, "email"),
        Required<string>(row, "name"),
        Optional<string>(row, "phone"),
        Required<int>(row, "version"),
        Required<DateTime>(row, "created_at"),
        Required<DateTime>(row, "updated_at"));

    private static ChangeEvent Changed(string type, ChangePosition position, Customer customer) => new(
        position,
        type,
        customer.Id,
        new CustomerChanged(customer.Id, customer.Email, customer.Name, customer.Phone, customer.Version,
            customer.CreatedAt, customer.UpdatedAt, position.CommittedAt));

    private static T Required<T>(IReadOnlyDictionary<string, object?> row, string column) =>
        row.TryGetValue(column, out var value) && value is T typed
            ? typed
            : throw new InvalidDataException(
                $"the customers row from the WAL has {(row.ContainsKey(column) ? $"{Describe(row[column])} in" : "no")} column {column}, expected {typeof(T).Name}");

    private static T? Optional<T>(IReadOnlyDictionary<string, object?> row, string column) where T : class =>
        !row.TryGetValue(column, out var value) || value is null
            ? null
            : value as T ?? throw new InvalidDataException($"the customers row from the WAL has {Describe(value)} in column {column}, expected {typeof(T).Name}");

    private static string Describe(object? value) => value is null ? "NULL" : value.GetType().Name;
}
