using System.Globalization;
using System.Text;
using System.Text.Json;
using LocalSidecar.Components;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;

namespace LocalSidecar.State.Postgres;

/// <summary>
/// <c>state.postgresql</c> version v1, with the schema, migrations and statements of components-contrib
/// <c>state/postgresql/v1</c> and <c>common/component/postgresql/v1</c>, so daprd finds the schema already migrated
/// and reads and writes the same rows: <c>value</c> is a JSONB document (<c>isbinary=false</c>) or a JSONB string
/// holding base64 (<c>isbinary=true</c>), and the etag is the row's <c>xmin</c> in decimal.
/// </summary>
/// <remarks>
/// Deliberate differences from Dapr's component:
/// <list type="bullet">
/// <item>A first-write save without an etag that finds a live row fails with <see cref="ETagMismatchException"/>
/// (daprd: Aborted / 409, so the .NET SDK's TrySaveState returns false). Dapr reports the same situation as the plain
/// error "no item was updated", which daprd turns into Internal / 500 and the SDK into an exception; a conflict is a
/// conflict whichever way it was asked for.</item>
/// <item>Every statement runs under <c>timeout</c>; Dapr applies it to reads, deletes and transactions but not to a
/// single save.</item>
/// <item>Table names must be plain, optionally schema-qualified identifiers; Dapr pastes any text into its SQL.</item>
/// <item>After migrating, the state table must exist. Dapr keys the migration level on the metadata table alone, so a
/// second component with another <c>tableName</c> but the same metadata table skips creating its table and fails on
/// first use; here start-up says so instead.</item>
/// </list>
/// </remarks>
public sealed class PostgresStateStore : IStateStore
{
    private const int MigrationLevel = 3;

    private readonly ComponentDefinition _definition;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly PostgresStateSettings _settings;
    private readonly string _table;
    private readonly string _metadataTable;
    private NpgsqlDataSource? _dataSource;
    private CancellationTokenSource? _cleanupStop;
    private Task? _cleanupLoop;

    public PostgresStateStore(ComponentDefinition definition, TimeProvider time, ILogger<PostgresStateStore>? logger = null)
    {
        _definition = definition;
        _time = time;
        _logger = logger ?? NullLogger<PostgresStateStore>.Instance;
        _settings = PostgresStateSettings.Parse(definition);
        _table = _settings.TableName;
        _metadataTable = _settings.MetadataTableName;
    }

    public StateStoreFeatures Features =>
        StateStoreFeatures.ETag | StateStoreFeatures.Transactional | StateStoreFeatures.Ttl | StateStoreFeatures.ActorStateStore;

    public PostgresStateSettings Settings => _settings;

    private NpgsqlDataSource DataSource => _dataSource ?? throw new InvalidOperationException($"state store '{_definition.Name}' is not initialised");

    public async Task InitAsync(CancellationToken cancellationToken)
    {
        _dataSource = NpgsqlDataSource.Create(_settings.ConnectionString);
        await PingAsync(cancellationToken).ConfigureAwait(false);
        await MigrateAsync(cancellationToken).ConfigureAwait(false);

        if (_settings.CleanupInterval is { } interval)
        {
            _cleanupStop = new CancellationTokenSource();
            _cleanupLoop = RunCleanupLoopAsync(interval, _cleanupStop.Token);
        }
    }

    public async Task PingAsync(CancellationToken cancellationToken)
    {
        await using var command = DataSource.CreateCommand("SELECT 1");
        await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<StateItem> GetAsync(string key, CancellationToken cancellationToken)
    {
        await using var command = DataSource.CreateCommand(
            $"SELECT key, value, isbinary, xmin AS etag, expiredate FROM {_table} WHERE key = $1 AND (expiredate IS NULL OR expiredate >= CURRENT_TIMESTAMP)");
        command.Parameters.Add(new NpgsqlParameter { Value = key, NpgsqlDbType = NpgsqlDbType.Text });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadRow(reader) : StateItem.Missing(key);
    }

    /// <summary>starts_with and right() rather than LIKE, so the text needs no escaping; ordered by the key's bytes.</summary>
    public async Task<IReadOnlyList<string>> KeysAsync(string prefix, string suffix, CancellationToken cancellationToken)
    {
        await using var command = DataSource.CreateCommand(
            $"SELECT key FROM {_table} WHERE starts_with(key, $1) AND right(key, $3) = $2 AND length(key) >= $4 " +
            "AND (expiredate IS NULL OR expiredate >= CURRENT_TIMESTAMP) ORDER BY key COLLATE \"C\"");
        command.Parameters.Add(new NpgsqlParameter { Value = prefix, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = suffix, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = suffix.Length, NpgsqlDbType = NpgsqlDbType.Integer });
        command.Parameters.Add(new NpgsqlParameter { Value = prefix.Length + suffix.Length, NpgsqlDbType = NpgsqlDbType.Integer });
        var keys = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            keys.Add(reader.GetString(0));
        }

        return keys;
    }

    public async Task<IReadOnlyList<StateItem>> BulkGetAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        if (keys.Count == 0)
        {
            return [];
        }

        await using var command = DataSource.CreateCommand(
            $"SELECT key, value, isbinary, xmin AS etag, expiredate FROM {_table} WHERE key = ANY($1) AND (expiredate IS NULL OR expiredate >= CURRENT_TIMESTAMP)");
        command.Parameters.Add(new NpgsqlParameter { Value = keys.Distinct(StringComparer.Ordinal).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        var found = new Dictionary<string, StateItem>(StringComparer.Ordinal);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var item = ReadRow(reader);
                found[item.Key] = item;
            }
        }

        return keys.Select(k => found.TryGetValue(k, out var item) ? item : StateItem.Missing(k)).ToList();
    }

    public async Task SetAsync(SetOperation operation, CancellationToken cancellationToken)
    {
        await using var connection = await DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await SetAsync(connection, null, operation, cancellationToken).ConfigureAwait(false);
    }

    public async Task DeleteAsync(DeleteOperation operation, CancellationToken cancellationToken)
    {
        await using var connection = await DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await DeleteAsync(connection, null, operation, cancellationToken).ConfigureAwait(false);
    }

    public async Task ExecuteTransactionAsync(IReadOnlyList<StateOperation> operations, CancellationToken cancellationToken)
    {
        if (operations.Count == 0)
        {
            return;
        }

        await using var connection = await DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        if (operations.Count == 1)
        {
            // As in Dapr: a single operation needs no transaction.
            await ExecuteAsync(connection, null, operations[0], cancellationToken).ConfigureAwait(false);
            return;
        }

        // Disposing an uncommitted transaction rolls it back, so the first failing operation undoes the ones before it.
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        foreach (var operation in operations)
        {
            await ExecuteAsync(connection, transaction, operation, cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// One sweep of Dapr's garbage collector: claim the <c>last-cleanup</c> slot in the metadata table (which only
    /// succeeds when the last sweep by any sidecar or daprd is older than the interval), then delete expired rows.
    /// Returns the number of rows deleted, or null when another process swept too recently.
    /// </summary>
    public async Task<int?> CleanupExpiredAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        await using var claim = DataSource.CreateCommand(
            $"""
            INSERT INTO {_metadataTable} (key, value) VALUES ('last-cleanup', now()::text)
            ON CONFLICT (key) DO UPDATE SET value = now()::text
              WHERE (EXTRACT('epoch' FROM now() - {_metadataTable}.value::timestamp with time zone) * 1000)::bigint > $1
            """);
        claim.Parameters.Add(new NpgsqlParameter { Value = (long)interval.TotalMilliseconds - 100, NpgsqlDbType = NpgsqlDbType.Bigint });
        if (await claim.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
        {
            return null;
        }

        await using var delete = DataSource.CreateCommand($"DELETE FROM {_table} WHERE expiredate IS NOT NULL AND expiredate < now()");
        return await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_cleanupStop is not null)
        {
            await _cleanupStop.CancelAsync().ConfigureAwait(false);
            if (_cleanupLoop is not null)
            {
                await _cleanupLoop.ConfigureAwait(false);
            }

            _cleanupStop.Dispose();
            _cleanupStop = null;
        }

        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync().ConfigureAwait(false);
            _dataSource = null;
        }
    }

    private Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, StateOperation operation, CancellationToken cancellationToken)
        => operation switch
        {
            SetOperation set => SetAsync(connection, transaction, set, cancellationToken),
            DeleteOperation delete => DeleteAsync(connection, transaction, delete, cancellationToken),
            _ => throw new ArgumentOutOfRangeException(nameof(operation), operation.GetType().Name, "unknown operation"),
        };

    private async Task SetAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, SetOperation operation, CancellationToken cancellationToken)
    {
        var isBinary = !operation.Value.IsJson;
        var value = isBinary
            ? $"\"{Convert.ToBase64String(operation.Value.Bytes.Span)}\""
            : Encoding.UTF8.GetString(operation.Value.Bytes.Span);

        // Dapr inlines the interval as text rather than binding it (state/utils ParseTTL rejects anything below -1).
        var ttl = operation.TtlInSeconds;
        if (ttl < -1)
        {
            throw new StateStoreException($"key {operation.Key}: ttlInSeconds must be -1 or greater, got {ttl}");
        }

        var expireDate = ttl > 0 ? $"CURRENT_TIMESTAMP + interval '{ttl.Value.ToString(CultureInfo.InvariantCulture)} seconds'" : "NULL";

        await using var command = new NpgsqlCommand { Connection = connection, Transaction = transaction };
        command.Parameters.Add(new NpgsqlParameter { Value = operation.Key, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = value, NpgsqlDbType = NpgsqlDbType.Jsonb });
        command.Parameters.Add(new NpgsqlParameter { Value = isBinary, NpgsqlDbType = NpgsqlDbType.Boolean });

        var hasETag = !string.IsNullOrEmpty(operation.ETag);
        if (hasETag)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = ParseXmin(operation.Key, operation.ETag!), NpgsqlDbType = NpgsqlDbType.Xid });
            command.CommandText =
                $"UPDATE {_table} SET value = $2, isbinary = $3, updatedate = CURRENT_TIMESTAMP, expiredate = {expireDate} " +
                "WHERE key = $1 AND xmin = $4 AND (expiredate IS NULL OR expiredate > CURRENT_TIMESTAMP)";
        }
        else
        {
            // first-write without an etag may only replace a row that has expired but not been swept yet.
            var onlyExpired = operation.Concurrency == Concurrency.FirstWrite
                ? " WHERE t.expiredate IS NOT NULL AND t.expiredate < CURRENT_TIMESTAMP"
                : string.Empty;
            command.CommandText =
                $"INSERT INTO {_table} AS t (key, value, isbinary, expiredate) VALUES ($1, $2, $3, {expireDate}) " +
                $"ON CONFLICT (key) DO UPDATE SET value = excluded.value, isbinary = excluded.isbinary, updatedate = CURRENT_TIMESTAMP, expiredate = {expireDate}{onlyExpired}";
        }

        if (await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) != 1)
        {
            throw hasETag || operation.Concurrency == Concurrency.FirstWrite
                ? new ETagMismatchException(operation.Key)
                : new StateStoreException($"key {operation.Key}: no item was updated");
        }
    }

    private async Task DeleteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, DeleteOperation operation, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand { Connection = connection, Transaction = transaction };
        command.Parameters.Add(new NpgsqlParameter { Value = operation.Key, NpgsqlDbType = NpgsqlDbType.Text });
        var hasETag = !string.IsNullOrEmpty(operation.ETag);
        if (hasETag)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = ParseXmin(operation.Key, operation.ETag!), NpgsqlDbType = NpgsqlDbType.Xid });
            command.CommandText = $"DELETE FROM {_table} WHERE key = $1 AND $2 = xmin";
        }
        else
        {
            command.CommandText = $"DELETE FROM {_table} WHERE key = $1";
        }

        var deleted = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        if (hasETag && deleted != 1)
        {
            throw new ETagMismatchException(operation.Key);
        }
    }

    /// <summary>The etag is a transaction id (uint32) in decimal, parsed as Go's <c>strconv.ParseUint(s, 10, 32)</c> does.</summary>
    private static uint ParseXmin(string key, string etag)
        => uint.TryParse(etag, NumberStyles.None, CultureInfo.InvariantCulture, out var xmin)
            ? xmin
            : throw new ETagInvalidException(key, etag);

    private static StateItem ReadRow(NpgsqlDataReader reader)
    {
        var key = reader.GetString(0);
        var json = reader.GetString(1);
        var isBinary = reader.GetBoolean(2);
        var etag = reader.GetFieldValue<uint>(3).ToString(CultureInfo.InvariantCulture);

        byte[] data;
        if (isBinary)
        {
            var base64 = JsonSerializer.Deserialize<string>(json)
                         ?? throw new StateStoreException($"key {key}: isbinary is true but the value is JSON null, not a base64 string");
            data = Convert.FromBase64String(base64);
        }
        else
        {
            data = Encoding.UTF8.GetBytes(json);
        }

        var metadata = reader.IsDBNull(4)
            ? StateItem.EmptyMetadata
            : new Dictionary<string, string>
            {
                ["ttlExpireTime"] = reader.GetFieldValue<DateTime>(4).ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            };
        return new StateItem(key, data, etag, metadata);
    }

    /// <summary>
    /// Dapr's migration protocol (common/component/sql/migrations/postgres): make sure the metadata table and its
    /// <c>lock</c> row exist, hold that row with SELECT … FOR UPDATE in a transaction that is always rolled back, and
    /// meanwhile run each migration above the level stored in the <c>migrations</c> row on another connection,
    /// recording the new level after each one.
    /// </summary>
    private async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await EnsureMetadataTableAsync(cancellationToken).ConfigureAwait(false);

        await using (var lockRow = DataSource.CreateCommand($"INSERT INTO {_metadataTable} (key, value) VALUES ($1, 'lock') ON CONFLICT (key) DO NOTHING"))
        {
            lockRow.Parameters.Add(new NpgsqlParameter { Value = "lock", NpgsqlDbType = NpgsqlDbType.Text });
            await lockRow.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using var lockConnection = await DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var lockTransaction = await lockConnection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var acquire = new NpgsqlCommand($"SELECT value FROM {_metadataTable} WHERE key = $1 FOR UPDATE", lockConnection, lockTransaction))
        {
            acquire.Parameters.Add(new NpgsqlParameter { Value = "lock", NpgsqlDbType = NpgsqlDbType.Text });
            acquire.CommandTimeout = 60;
            await acquire.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            await using var connection = await DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            var level = await ReadMigrationLevelAsync(connection, cancellationToken).ConfigureAwait(false);
            for (var migration = level; migration < MigrationLevel; migration++)
            {
                _logger.LogInformation("Performing migration {Migration} of state table {Table}", migration + 1, _table);
                await RunMigrationAsync(connection, migration, cancellationToken).ConfigureAwait(false);
                await using var record = new NpgsqlCommand(
                    $"INSERT INTO {_metadataTable} (key, value) VALUES ('migrations', $1) ON CONFLICT (key) DO UPDATE SET value = $1", connection);
                record.Parameters.Add(new NpgsqlParameter { Value = (migration + 1).ToString(CultureInfo.InvariantCulture), NpgsqlDbType = NpgsqlDbType.Text });
                await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await using var exists = new NpgsqlCommand("SELECT to_regclass($1) IS NOT NULL", connection);
            exists.Parameters.Add(new NpgsqlParameter { Value = _table, NpgsqlDbType = NpgsqlDbType.Text });
            if (await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not true)
            {
                throw new StateStoreException(
                    $"component '{_definition.Name}': table {_metadataTable} records migration level {level} but state table {_table} does not exist. " +
                    "Dapr's state.postgresql v1 keeps one migration level per metadata table, so two components with different tableName values need different metadataTableName values.");
            }
        }
        finally
        {
            // The lock's only purpose is to serialise migrations; rolling back releases it and leaves the row as it was.
            await lockTransaction.RollbackAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    private async Task EnsureMetadataTableAsync(CancellationToken cancellationToken)
    {
        // CREATE TABLE IF NOT EXISTS can still fail with a unique violation on pg_type when two processes race; Dapr retries it 3 times.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var create = DataSource.CreateCommand(
                    $"CREATE TABLE IF NOT EXISTS {_metadataTable} (key text NOT NULL PRIMARY KEY, value text NOT NULL)");
                await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation && attempt < 3)
            {
                _logger.LogDebug(e, "Metadata table {Table} was being created concurrently; retrying", _metadataTable);
                await Task.Delay(TimeSpan.FromMilliseconds(50), _time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<int> ReadMigrationLevelAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var read = new NpgsqlCommand($"SELECT value FROM {_metadataTable} WHERE key = 'migrations'", connection);
        var raw = await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        if (raw is null or DBNull)
        {
            return 0;
        }

        return int.TryParse((string)raw, NumberStyles.None, CultureInfo.InvariantCulture, out var level)
            ? level
            : throw new StateStoreException($"invalid migration level found in metadata table {_metadataTable}: {raw}");
    }

    private async Task RunMigrationAsync(NpgsqlConnection connection, int migration, CancellationToken cancellationToken)
    {
        switch (migration)
        {
            case 0:
                try
                {
                    await ExecAsync(connection,
                        $"""
                        CREATE TABLE IF NOT EXISTS {_table} (
                          key text NOT NULL PRIMARY KEY,
                          value jsonb NOT NULL,
                          isbinary boolean NOT NULL,
                          insertdate TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
                          updatedate TIMESTAMP WITH TIME ZONE NULL
                        )
                        """, cancellationToken).ConfigureAwait(false);
                }
                catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
                {
                    // Another process created the table between our check and our CREATE; Dapr ignores this race the same way.
                    _logger.LogDebug(e, "State table {Table} was created concurrently", _table);
                }

                break;
            case 1:
                await ExecAsync(connection, $"ALTER TABLE {_table} ADD expiredate TIMESTAMP WITH TIME ZONE", cancellationToken).ConfigureAwait(false);
                break;
            case 2:
                await AddRowIdAsync(connection, cancellationToken).ConfigureAwait(false);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(migration), migration, "no such migration");
        }
    }

    /// <summary>
    /// Migration 2 (Dapr 1.17): a <c>row_id</c> identity column for key paging, numbered for existing rows in
    /// (insertdate, key) order, with the identity sequence moved past the highest number and a unique index
    /// <c>{table}_row_id_uidx</c>. Each step checks first, so a half-done run can be repeated.
    /// </summary>
    private async Task AddRowIdAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        string schema, relation, quoted;
        await using (var resolve = new NpgsqlCommand(
            """
            SELECT n.nspname, c.relname, format('%I.%I', n.nspname, c.relname)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.oid = to_regclass($1)
            """, connection))
        {
            resolve.Parameters.Add(new NpgsqlParameter { Value = _table, NpgsqlDbType = NpgsqlDbType.Text });
            await using var reader = await resolve.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                throw new StateStoreException($"state table {_table} not found while adding row_id");
            }

            (schema, relation, quoted) = (reader.GetString(0), reader.GetString(1), reader.GetString(2));
        }

        if (!await ScalarBoolAsync(connection,
                "SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = 'row_id' AND NOT attisdropped)",
                [_table], cancellationToken).ConfigureAwait(false))
        {
            await ExecAsync(connection, $"ALTER TABLE {quoted} ADD COLUMN row_id BIGINT", cancellationToken).ConfigureAwait(false);
        }

        await ExecAsync(connection,
            $"""
            WITH ranked AS (
              SELECT key, ROW_NUMBER() OVER (ORDER BY insertdate ASC, key ASC) AS rn FROM {quoted} WHERE row_id IS NULL
            )
            UPDATE {quoted} AS t SET row_id = r.rn FROM ranked r WHERE r.key = t.key
            """, cancellationToken).ConfigureAwait(false);
        await ExecAsync(connection, $"ALTER TABLE {quoted} ALTER COLUMN row_id SET NOT NULL", cancellationToken).ConfigureAwait(false);

        if (!await ScalarBoolAsync(connection,
                "SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 AND column_name = 'row_id' AND is_identity = 'YES')",
                [schema, relation], cancellationToken).ConfigureAwait(false))
        {
            await ExecAsync(connection, $"ALTER TABLE {quoted} ALTER COLUMN row_id ADD GENERATED BY DEFAULT AS IDENTITY", cancellationToken).ConfigureAwait(false);
        }

        await using (var sequence = new NpgsqlCommand("SELECT pg_get_serial_sequence($1, 'row_id')", connection))
        {
            sequence.Parameters.Add(new NpgsqlParameter { Value = $"{schema}.{relation}", NpgsqlDbType = NpgsqlDbType.Text });
            if (await sequence.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string sequenceName)
            {
                await using var move = new NpgsqlCommand($"SELECT setval($1, COALESCE((SELECT MAX(row_id) FROM {quoted}), 0) + 1, false)", connection);
                move.Parameters.Add(new NpgsqlParameter { Value = sequenceName, NpgsqlDbType = NpgsqlDbType.Text });
                await move.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        var index = "\"" + (relation + "_row_id_uidx").Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
        await ExecAsync(connection, $"CREATE UNIQUE INDEX IF NOT EXISTS {index} ON {quoted} (row_id)", cancellationToken).ConfigureAwait(false);
    }

    private static async Task ExecAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<bool> ScalarBoolAsync(NpgsqlConnection connection, string sql, string[] args, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var arg in args)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = arg, NpgsqlDbType = NpgsqlDbType.Text });
        }

        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true;
    }

    /// <summary>Like Dapr's collector: the first sweep runs one interval after start, and a failed sweep is logged and retried next time.</summary>
    private async Task RunCleanupLoopAsync(TimeSpan interval, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(interval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                try
                {
                    var removed = await CleanupExpiredAsync(interval, stop).ConfigureAwait(false);
                    if (removed is { } count)
                    {
                        _logger.LogInformation("Removed {Count} expired rows from {Table}", count, _table);
                    }
                }
                catch (Exception e) when (e is NpgsqlException or TimeoutException)
                {
                    // A database hiccup must not end the loop for the life of the sidecar; the next tick tries again.
                    _logger.LogError(e, "Error removing expired rows from {Table}", _table);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Disposal stops the loop; nothing else to do.
        }
        catch (Exception e)
        {
            // Anything else ends the sweeps for good: say so now, and let DisposeAsync rethrow it.
            _logger.LogCritical(e, "Expired-row cleanup for {Table} stopped", _table);
            throw;
        }
    }
}
