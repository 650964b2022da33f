using Customers.Model;
using Npgsql;

namespace Customers.Infrastructure;

public abstract record CreateResult
{
    public sealed record Created(Customer Customer) : CreateResult;

    public sealed record EmailTaken : CreateResult;
}

public abstract record UpdateResult
{
    public sealed record Updated(Customer Customer) : UpdateResult;

    public sealed record NotFound : UpdateResult;

    /// <summary>Someone else updated the customer since the caller read it.</summary>
    public sealed record VersionMismatch(int CurrentVersion) : UpdateResult;

    public sealed record EmailTaken : UpdateResult;
}

/// <summary>
/// The customers table through plain, parameterised SQL. Each write is one statement, hence one transaction: the row and
/// its change event (which the change capture relay reads from the WAL) are committed together or not at all.
/// </summary>
public sealed class CustomerStore(NpgsqlDataSource database)
{
    private const string Columns = "id, email, name, phone, version, created_at, updated_at";
    private const string EmailConstraint = "customers_email_key";

    public async Task<CreateResult> CreateAsync(CustomerDraft draft, CancellationToken ct)
    {
        // ON CONFLICT leaves no row and writes nothing to the WAL, so a refused duplicate emits no event either.
        await using var command = database.CreateCommand($"""
            INSERT INTO customers (id, email, name, phone) VALUES ($1, $2, $3, $4)
            ON CONFLICT ON CONSTRAINT {EmailConstraint} DO NOTHING
            RETURNING {Columns}
            """);
        command.Parameters.Add(new() { Value = Guid.CreateVersion7() });
        command.Parameters.Add(new() { Value = draft.Email });
        command.Parameters.Add(new() { Value = draft.Name });
        command.Parameters.Add(new() { Value = (object?)draft.Phone ?? DBNull.Value });
        var created = await ReadSingleAsync(command, ct);
        return created is null ? new CreateResult.EmailTaken() : new CreateResult.Created(created);
    }

    public async Task<Customer?> GetAsync(Guid id, CancellationToken ct)
    {
        await using var command = database.CreateCommand($"SELECT {Columns} FROM customers WHERE id = $1");
        command.Parameters.Add(new() { Value = id });
        return await ReadSingleAsync(command, ct);
    }

    public async Task<Customer?> FindByEmailAsync(string email, CancellationToken ct)
    {
        await using var command = database.CreateCommand($"SELECT {Columns} FROM customers WHERE email = $1");
        command.Parameters.Add(new() { Value = CustomerDraft.NormalizeEmail(email) });
        return await ReadSingleAsync(command, ct);
    }

    /// <summary>Replaces the customer's details if it is still at <paramref name="expectedVersion"/>.</summary>
    public async Task<UpdateResult> UpdateAsync(Guid id, int expectedVersion, CustomerDraft draft, CancellationToken ct)
    {
        // The version check and the write are one statement: no other update can slip in between them.
        await using var command = database.CreateCommand($"""
            UPDATE customers SET email = $3, name = $4, phone = $5, version = version + 1, updated_at = now()
            WHERE id = $1 AND version = $2
            RETURNING {Columns}
            """);
        command.Parameters.Add(new() { Value = id });
        command.Parameters.Add(new() { Value = expectedVersion });
        command.Parameters.Add(new() { Value = draft.Email });
        command.Parameters.Add(new() { Value = draft.Name });
        command.Parameters.Add(new() { Value = (object?)draft.Phone ?? DBNull.Value });

        Customer? updated;
        try
        {
            updated = await ReadSingleAsync(command, ct);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation && e.ConstraintName == EmailConstraint)
        {
            return new UpdateResult.EmailTaken();
        }

        if (updated is not null)
        {
            return new UpdateResult.Updated(updated);
        }

        // Nothing matched: tell a missing customer from a stale version. A delete in between reads as missing, which it is.
        await using var current = database.CreateCommand("SELECT version FROM customers WHERE id = $1");
        current.Parameters.Add(new() { Value = id });
        return await current.ExecuteScalarAsync(ct) is int version
            ? new UpdateResult.VersionMismatch(version)
            : new UpdateResult.NotFound();
    }

    private static async Task<Customer?> ReadSingleAsync(NpgsqlCommand command, CancellationToken ct)
    {
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return null;
        }

        return new Customer(
            reader.GetGuid(0),
            reader.GetString(1),
            reader.GetString(2),
            reader.IsDBNull(3) ? null : reader.GetString(3),
            reader.GetInt32(4),
            reader.GetDateTime(5),
            reader.GetDateTime(6));
    }
}
