using System.Globalization;
using System.Text;
using Dapr.Testing;
using LocalSidecar.State;
using LocalSidecar.State.Postgres;
using Npgsql;

namespace LocalSidecar.Tests.State;

/// <summary>
/// What state.postgresql v1 leaves in PostgreSQL, read with plain SQL, and the other way round: schemas and rows made
/// the way daprd makes them, read through the store.
/// </summary>
public sealed class PostgresStorageLayoutTests(SharedServers servers) : IClassFixture<SharedServers>, IAsyncLifetime
{
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(60));
    private string _connectionString = null!;
    private NpgsqlDataSource _raw = null!;
    private readonly List<PostgresStateStore> _stores = [];

    private CancellationToken Ct => _timeout.Token;

    public async Task InitializeAsync()
    {
        _connectionString = await servers.NewDatabaseAsync("pg_layout");
        _raw = NpgsqlDataSource.Create(_connectionString);
    }

    public async Task DisposeAsync()
    {
        foreach (var store in _stores)
        {
            await store.DisposeAsync();
        }

        await _raw.DisposeAsync();
        _timeout.Dispose();
    }

    private async Task<PostgresStateStore> StartStoreAsync(params (string, string)[] metadata)
    {
        var store = new PostgresStateStore(Components.Postgres(_connectionString, metadata), TimeProvider.System);
        _stores.Add(store);
        await store.InitAsync(Ct);
        return store;
    }

    private async Task ExecAsync(string sql)
    {
        await using var command = _raw.CreateCommand(sql);
        await command.ExecuteNonQueryAsync(Ct);
    }

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var command = _raw.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync(Ct))!;
    }

    private async Task<Row> RowAsync(string key, string table = "state")
    {
        await using var command = _raw.CreateCommand(
            $"SELECT value::text, jsonb_typeof(value), value #>> '{{}}', isbinary, xmin::text, expiredate, updatedate FROM {table} WHERE key = $1");
        command.Parameters.AddWithValue(key);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        Assert.True(await reader.ReadAsync(Ct), $"no row for {key}");
        return new Row(
            reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetBoolean(3), reader.GetString(4),
            reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTime>(5),
            reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTime>(6));
    }

    private sealed record Row(string Text, string JsonType, string Scalar, bool IsBinary, string Xmin, DateTime? ExpireDate, DateTime? UpdateDate);

    private static StateValue Json(string json) => new(Encoding.UTF8.GetBytes(json), IsJson: true);

    [Fact]
    public async Task a_json_save_is_a_jsonb_document_with_isbinary_false_and_xmin_as_the_etag()
    {
        var store = await StartStoreAsync();

        await store.SetAsync(new SetOperation("catalog||sku-1", Json("""{"name":"Lamp","price":{"amount":25,"currency":"EUR"}}""")), Ct);

        var row = await RowAsync("catalog||sku-1");
        Assert.Equal("object", row.JsonType);
        Assert.False(row.IsBinary);
        Assert.Null(row.ExpireDate);
        Assert.Equal(25, await ScalarAsync<int>("SELECT (value #>> '{price,amount}')::int FROM state WHERE key = 'catalog||sku-1'"));
        var item = await store.GetAsync("catalog||sku-1", Ct);
        Assert.Equal(row.Xmin, item.ETag);
        Assert.Equal(row.Text, Encoding.UTF8.GetString(item.Data!));
    }

    [Fact]
    public async Task a_binary_save_is_a_jsonb_string_of_base64_with_isbinary_true()
    {
        var store = await StartStoreAsync();
        byte[] bytes = [0x0a, 0x00, 0xff, 0xfe, 0x7f];

        await store.SetAsync(new SetOperation("wf||history-000000", new StateValue(bytes, IsJson: false)), Ct);

        var row = await RowAsync("wf||history-000000");
        Assert.Equal("string", row.JsonType);
        Assert.Equal(Convert.ToBase64String(bytes), row.Scalar);
        Assert.True(row.IsBinary);
        Assert.Equal(bytes, (await store.GetAsync("wf||history-000000", Ct)).Data);
    }

    [Fact]
    public async Task a_ttl_sets_expiredate_which_reads_report_as_ttl_expire_time_and_a_save_without_ttl_clears_it()
    {
        var store = await StartStoreAsync();

        await store.SetAsync(new SetOperation("s||1", Json("1"), TtlInSeconds: 60), Ct);

        var row = await RowAsync("s||1");
        Assert.NotNull(row.ExpireDate);
        Assert.InRange(row.ExpireDate.Value, DateTime.UtcNow.AddSeconds(55), DateTime.UtcNow.AddSeconds(61));
        var item = await store.GetAsync("s||1", Ct);
        Assert.Equal(row.ExpireDate.Value.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture), item.Metadata["ttlExpireTime"]);

        await store.SetAsync(new SetOperation("s||1", Json("2")), Ct);
        Assert.Null((await RowAsync("s||1")).ExpireDate);
    }

    [Fact]
    public async Task an_update_sets_updatedate_and_a_new_xmin()
    {
        var store = await StartStoreAsync();
        await store.SetAsync(new SetOperation("o||1", Json("1")), Ct);
        var first = await RowAsync("o||1");

        await store.SetAsync(new SetOperation("o||1", Json("2"), first.Xmin, Concurrency.FirstWrite), Ct);

        var second = await RowAsync("o||1");
        Assert.Null(first.UpdateDate);
        Assert.NotNull(second.UpdateDate);
        Assert.NotEqual(first.Xmin, second.Xmin);
    }

    [Fact]
    public async Task the_schema_is_daprs_v1_schema_at_migration_level_three()
    {
        await StartStoreAsync();

        Assert.Equal("3", await ScalarAsync<string>("SELECT value FROM dapr_metadata WHERE key = 'migrations'"));
        Assert.Equal("lock", await ScalarAsync<string>("SELECT value FROM dapr_metadata WHERE key = 'lock'"));
        Assert.Equal(
            "key:text:NO:NO|value:jsonb:NO:NO|isbinary:boolean:NO:NO|insertdate:timestamp with time zone:NO:NO|" +
            "updatedate:timestamp with time zone:YES:NO|expiredate:timestamp with time zone:YES:NO|row_id:bigint:NO:YES",
            await ScalarAsync<string>(
                """
                SELECT string_agg(column_name || ':' || data_type || ':' || is_nullable || ':' || is_identity, '|' ORDER BY ordinal_position)
                FROM information_schema.columns WHERE table_name = 'state'
                """));
        Assert.Equal("now()", await ScalarAsync<string>("SELECT column_default FROM information_schema.columns WHERE table_name = 'state' AND column_name = 'insertdate'"));
        Assert.Equal("CREATE UNIQUE INDEX state_row_id_uidx ON public.state USING btree (row_id)",
            await ScalarAsync<string>("SELECT indexdef FROM pg_indexes WHERE indexname = 'state_row_id_uidx'"));
        Assert.Equal("key", await ScalarAsync<string>(
            "SELECT a.attname::text FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) WHERE i.indrelid = 'state'::regclass AND i.indisprimary"));
    }

    [Fact]
    public async Task the_table_names_from_the_component_are_used()
    {
        var store = await StartStoreAsync(("tableName", "catalog_state"), ("metadataTableName", "catalog_meta"));

        await store.SetAsync(new SetOperation("c||1", Json("1")), Ct);

        Assert.Equal("3", await ScalarAsync<string>("SELECT value FROM catalog_meta WHERE key = 'migrations'"));
        Assert.False((await RowAsync("c||1", "catalog_state")).IsBinary);
        Assert.False(await ScalarAsync<bool>("SELECT to_regclass('state') IS NOT NULL"));
    }

    [Fact]
    public async Task rows_written_the_way_daprd_writes_them_read_back()
    {
        await StartStoreAsync();
        await ExecAsync(
            """
            INSERT INTO state (key, value, isbinary) VALUES ('app||order', '{"id": 1, "lines": []}', false);
            INSERT INTO state (key, value, isbinary) VALUES ('app||proto', to_jsonb('CgNhYmM='::text), true);
            INSERT INTO state (key, value, isbinary, expiredate) VALUES ('app||gone', '1', false, now() - interval '1 second');
            INSERT INTO state (key, value, isbinary, expiredate) VALUES ('app||later', '2', false, now() + interval '1 hour');
            """);
        var store = await StartStoreAsync();

        var order = await store.GetAsync("app||order", Ct);
        Assert.Equal("""{"id": 1, "lines": []}""", Encoding.UTF8.GetString(order.Data!));
        Assert.Equal(await ScalarAsync<string>("SELECT xmin::text FROM state WHERE key = 'app||order'"), order.ETag);
        Assert.Equal([0x0a, 0x03, (byte)'a', (byte)'b', (byte)'c'], (await store.GetAsync("app||proto", Ct)).Data);
        Assert.False((await store.GetAsync("app||gone", Ct)).Exists);
        Assert.Contains("ttlExpireTime", (await store.GetAsync("app||later", Ct)).Metadata.Keys);
        var bulk = await store.BulkGetAsync(["app||gone", "app||order"], Ct);
        Assert.False(bulk[0].Exists);
        Assert.True(bulk[1].Exists);
    }

    [Fact]
    public async Task first_write_may_replace_a_row_that_expired_but_was_not_swept_yet()
    {
        var store = await StartStoreAsync();
        await ExecAsync("INSERT INTO state (key, value, isbinary, expiredate) VALUES ('app||slot', '\"old\"', false, now() - interval '1 second')");

        await store.SetAsync(new SetOperation("app||slot", Json("\"new\""), Concurrency: Concurrency.FirstWrite), Ct);

        Assert.Equal("\"new\"", (await RowAsync("app||slot")).Text);
    }

    [Fact]
    public async Task a_schema_left_at_level_two_by_an_older_daprd_is_migrated_and_keeps_its_rows()
    {
        // What components-contrib before 1.17 created: migrations 0 and 1, no row_id.
        await ExecAsync(
            """
            CREATE TABLE dapr_metadata (key text NOT NULL PRIMARY KEY, value text NOT NULL);
            INSERT INTO dapr_metadata VALUES ('lock', 'lock'), ('migrations', '2');
            CREATE TABLE state (key text NOT NULL PRIMARY KEY, value jsonb NOT NULL, isbinary boolean NOT NULL,
              insertdate TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(), updatedate TIMESTAMP WITH TIME ZONE NULL);
            ALTER TABLE state ADD expiredate TIMESTAMP WITH TIME ZONE;
            INSERT INTO state (key, value, isbinary, insertdate) VALUES
              ('b', '2', false, '2024-01-01T00:00:00Z'), ('a', '1', false, '2024-01-01T00:00:00Z'), ('c', '3', false, '2023-01-01T00:00:00Z');
            """);

        var store = await StartStoreAsync();
        await store.SetAsync(new SetOperation("d", Json("4")), Ct);

        Assert.Equal("3", await ScalarAsync<string>("SELECT value FROM dapr_metadata WHERE key = 'migrations'"));
        Assert.Equal("c=1,a=2,b=3,d=4", await ScalarAsync<string>("SELECT string_agg(key || '=' || row_id, ',' ORDER BY row_id) FROM state"));
        Assert.Equal("2", Encoding.UTF8.GetString((await store.GetAsync("b", Ct)).Data!));
    }

    [Fact]
    public async Task starting_a_second_store_on_a_migrated_database_changes_nothing()
    {
        const string metadataRows = "SELECT string_agg(key || '=' || value, ',' ORDER BY key) FROM dapr_metadata";
        var first = await StartStoreAsync();
        await first.SetAsync(new SetOperation("k", Json("1")), Ct);
        var before = (await RowAsync("k"), await ScalarAsync<string>(metadataRows));

        await StartStoreAsync();

        Assert.Equal(before, (await RowAsync("k"), await ScalarAsync<string>(metadataRows)));
        Assert.Equal("lock=lock,migrations=3", before.Item2);
    }

    [Fact]
    public async Task an_etag_that_is_not_a_uint32_is_invalid()
    {
        var store = await StartStoreAsync();
        await store.SetAsync(new SetOperation("k", Json("1")), Ct);

        foreach (var etag in (string[])["abc", "-1", "4294967296", "1.5"])
        {
            await Assert.ThrowsAsync<ETagInvalidException>(() => store.SetAsync(new SetOperation("k", Json("2"), etag), Ct));
            await Assert.ThrowsAsync<ETagInvalidException>(() => store.DeleteAsync(new DeleteOperation("k", etag), Ct));
        }
    }

    [Fact]
    public async Task a_ttl_below_minus_one_is_refused_as_dapr_refuses_it()
    {
        var store = await StartStoreAsync();

        await Assert.ThrowsAsync<StateStoreException>(() => store.SetAsync(new SetOperation("k", Json("1"), TtlInSeconds: -2), Ct));
    }

    [Fact]
    public async Task a_sweep_claims_last_cleanup_deletes_expired_rows_and_a_second_sweep_inside_the_interval_does_nothing()
    {
        var store = await StartStoreAsync(("cleanupInterval", "0"));
        await ExecAsync(
            """
            INSERT INTO state (key, value, isbinary, expiredate) VALUES ('old', '1', false, now() - interval '1 minute');
            INSERT INTO state (key, value, isbinary, expiredate) VALUES ('live', '2', false, now() + interval '1 hour');
            INSERT INTO state (key, value, isbinary) VALUES ('forever', '3', false);
            """);

        Assert.Equal(1, await store.CleanupExpiredAsync(TimeSpan.FromHours(1), Ct));
        Assert.Null(await store.CleanupExpiredAsync(TimeSpan.FromHours(1), Ct));

        Assert.Equal("forever,live", await ScalarAsync<string>("SELECT string_agg(key, ',' ORDER BY key) FROM state"));
        var claimed = DateTimeOffset.Parse(await ScalarAsync<string>("SELECT value FROM dapr_metadata WHERE key = 'last-cleanup'"), CultureInfo.InvariantCulture);
        Assert.InRange(claimed, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));
    }

    [Fact]
    public async Task with_a_one_second_cleanup_interval_expired_rows_are_swept_in_the_background()
    {
        await StartStoreAsync(("cleanupIntervalInSeconds", "1"));
        await ExecAsync("INSERT INTO state (key, value, isbinary, expiredate) VALUES ('old', '1', false, now() - interval '1 minute')");

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await ScalarAsync<long>("SELECT count(*) FROM state WHERE key = 'old'") > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the expired row was not swept within 10 s");
            await Task.Delay(200, Ct);
        }

        Assert.NotNull(await ScalarAsync<string>("SELECT value FROM dapr_metadata WHERE key = 'last-cleanup'"));
    }

    [Fact]
    public async Task a_rolled_back_transaction_leaves_every_row_as_it_was()
    {
        var store = await StartStoreAsync();
        await store.SetAsync(new SetOperation("kept", Json("1")), Ct);
        await store.SetAsync(new SetOperation("guarded", Json("1")), Ct);
        var stale = (await RowAsync("guarded")).Xmin;
        await store.SetAsync(new SetOperation("guarded", Json("2")), Ct);
        var before = (await RowAsync("kept"), await RowAsync("guarded"));

        await Assert.ThrowsAsync<ETagMismatchException>(() => store.ExecuteTransactionAsync(
        [
            new SetOperation("new", Json("1")),
            new DeleteOperation("kept"),
            new SetOperation("guarded", Json("3"), stale),
        ], Ct));

        Assert.Equal(0L, await ScalarAsync<long>("SELECT count(*) FROM state WHERE key = 'new'"));
        Assert.Equal(before, (await RowAsync("kept"), await RowAsync("guarded")));
    }
}
