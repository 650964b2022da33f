using Dapr.Testing;
using Npgsql;

namespace Benchmarks.Saga;

/// <summary>What the services recorded about one order, read from their databases after the fact.</summary>
public sealed record OrderRecord(
    string OrderId, string Status, bool NeedsAttention, DateTimeOffset CreatedAt, DateTimeOffset? SagaStartSentAt,
    DateTimeOffset? EndedAt, DateTimeOffset? ReservedAt);

/// <summary>One normalised statement's counters from pg_stat_statements: which service's database, calls, execution time.</summary>
public sealed record StatementCost(string Service, long Calls, double TotalMilliseconds, long Rows, string Query);

/// <summary>The top statements and the totals over all top-level statements in the service databases.</summary>
public sealed record StatementCosts(IReadOnlyList<StatementCost> Top, long Calls, double TotalMilliseconds);

/// <summary>
/// Reads the services' own databases as a superuser, beside them: the saga's timings from what orders and inventory
/// stamp anyway (no polling of the system while it works), and PostgreSQL's commit counters. Every statement this
/// class runs in a service database is itself a commit there, so it counts them, and the commit deltas are corrected.
/// </summary>
public sealed class ServiceDatabases(PostgresServer postgres, IReadOnlyDictionary<string, string> databases)
{
    private long _ownStatements;

    /// <summary>Statements run here in the service databases so far; each is one commit in pg_stat_database.</summary>
    public long OwnStatements => Interlocked.Read(ref _ownStatements);

    public IReadOnlyCollection<string> Names => databases.Values.ToList();

    /// <summary>Orders of one step that exist, and how many of them have ended (Confirmed, Cancelled, or stuck needing attention).</summary>
    public async Task<(int Created, int Ended)> CountAsync(string orderIdPrefix, CancellationToken ct)
    {
        await using var connection = await OpenAsync("orders", ct).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(
            "SELECT count(*), count(*) FILTER (WHERE status <> 'Pending' OR needs_attention) FROM orders WHERE order_id LIKE $1", connection)
        {
            Parameters = { new() { Value = orderIdPrefix + "%" } },
        };
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await reader.ReadAsync(ct).ConfigureAwait(false);
        return ((int)reader.GetInt64(0), (int)reader.GetInt64(1));
    }

    /// <summary>
    /// Per order: when orders committed it, when its relay handed the saga start to order-workflow, when its status
    /// became final (the history row's <c>at</c>, stamped by orders from this machine's clock), and when inventory
    /// reserved its stock.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, OrderRecord>> ReadOrdersAsync(string orderIdPrefix, CancellationToken ct)
    {
        var reserved = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        await using (var connection = await OpenAsync("inventory", ct).ConfigureAwait(false))
        await using (var command = new NpgsqlCommand("SELECT order_id, created_at FROM reservations WHERE order_id LIKE $1", connection)
        {
            Parameters = { new() { Value = orderIdPrefix + "%" } },
        })
        await using (var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                reserved[reader.GetString(0)] = reader.GetFieldValue<DateTimeOffset>(1);
            }
        }

        var orders = new Dictionary<string, OrderRecord>(StringComparer.Ordinal);
        await using (var connection = await OpenAsync("orders", ct).ConfigureAwait(false))
        await using (var command = new NpgsqlCommand("""
            SELECT o.order_id, o.status, o.needs_attention, o.created_at,
                   (SELECT x.sent_at FROM outbox x WHERE x.order_id = o.order_id AND x.kind = 'start-saga'),
                   (SELECT max(h.at) FROM order_status_history h WHERE h.order_id = o.order_id AND h.status IN ('Confirmed', 'Cancelled'))
            FROM orders o
            WHERE o.order_id LIKE $1
            """, connection)
        {
            Parameters = { new() { Value = orderIdPrefix + "%" } },
        })
        await using (var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                var id = reader.GetString(0);
                orders[id] = new OrderRecord(
                    id,
                    reader.GetString(1),
                    reader.GetBoolean(2),
                    reader.GetFieldValue<DateTimeOffset>(3),
                    reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4),
                    reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5),
                    reserved.TryGetValue(id, out var at) ? at : null);
            }
        }

        return orders;
    }

    /// <summary>Transactions committed so far in the service databases, as pg_stat_database has them.</summary>
    /// <remarks>
    /// Read from the <c>postgres</c> database, so the reading is not a commit in a service database. Backends publish
    /// their counters at most once a second (an idle one up to 10 s later), so a delta is right to within that lag,
    /// which moves counts between neighbouring windows rather than losing them.
    /// </remarks>
    public async Task<long> CommitsAsync(CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(postgres.ConnectionString);
        await connection.OpenAsync(ct).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("SELECT coalesce(sum(xact_commit), 0)::bigint FROM pg_stat_database WHERE datname = ANY($1)", connection)
        {
            Parameters = { new() { Value = Names.ToArray() } },
        };
        return (long)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    /// <summary>The settings that load pg_stat_statements; the server must start with them.</summary>
    public static IReadOnlyDictionary<string, string> StatementSettings { get; } = new Dictionary<string, string>
    {
        ["shared_preload_libraries"] = "pg_stat_statements",
        // Statements inside functions too: Marten appends events through its own functions.
        ["pg_stat_statements.track"] = "all",
    };

    /// <summary>Creates the extension's view (in <c>postgres</c>; the counters cover every database) and zeroes its counters.</summary>
    public async Task ResetStatementsAsync(CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(postgres.ConnectionString);
        await connection.OpenAsync(ct).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("CREATE EXTENSION IF NOT EXISTS pg_stat_statements; SELECT pg_stat_statements_reset();", connection);
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>The statements run in the service databases since the last reset, the most time first, and the time of all of them.</summary>
    public async Task<StatementCosts> StatementsAsync(int top, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(postgres.ConnectionString);
        await connection.OpenAsync(ct).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("""
            SELECT d.datname, s.calls, s.total_exec_time, s.rows, s.query, sum(s.total_exec_time) OVER (), sum(s.calls) OVER ()
            FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
            WHERE d.datname = ANY($1) AND s.toplevel
            ORDER BY s.total_exec_time DESC
            """, connection)
        {
            Parameters = { new() { Value = Names.ToArray() } },
        };
        var statements = new List<StatementCost>();
        double totalMilliseconds = 0;
        long totalCalls = 0;
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            totalMilliseconds = reader.GetDouble(5);
            totalCalls = (long)reader.GetDecimal(6);
            if (statements.Count < top)
            {
                var database = reader.GetString(0);
                var service = databases.FirstOrDefault(pair => pair.Value == database).Key ?? database;
                statements.Add(new StatementCost(service, reader.GetInt64(1), reader.GetDouble(2), reader.GetInt64(3), reader.GetString(4)));
            }
        }

        return new StatementCosts(statements, totalCalls, totalMilliseconds);
    }

    /// <summary>fsync, synchronous_commit and full_page_writes as the server runs them.</summary>
    public async Task<string> DurabilityAsync(CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(postgres.ConnectionString);
        await connection.OpenAsync(ct).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(
            "SELECT 'fsync=' || current_setting('fsync') || ', synchronous_commit=' || current_setting('synchronous_commit') || " +
            "', full_page_writes=' || current_setting('full_page_writes') || '; ' || split_part(version(), ' on ', 1)", connection);
        return (string)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    private async Task<NpgsqlConnection> OpenAsync(string service, CancellationToken ct)
    {
        var name = databases.TryGetValue(service, out var database)
            ? database
            : throw new InvalidOperationException($"no database for {service}; CheckoutApps gave {string.Join(", ", databases.Keys)}");
        // Not pooled: a pooled connection would stay open in the service's database between reads, and one statement per
        // connection keeps the count of our own commits exact.
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(postgres.ConnectionStringFor(name)) { Pooling = false }.ConnectionString);
        try
        {
            await connection.OpenAsync(ct).ConfigureAwait(false);
            Interlocked.Increment(ref _ownStatements);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
