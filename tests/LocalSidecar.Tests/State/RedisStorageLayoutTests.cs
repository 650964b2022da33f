using System.Text;
using Dapr.Testing;
using LocalSidecar.State;
using LocalSidecar.State.Redis;
using StackExchange.Redis;
using SetOperation = LocalSidecar.State.SetOperation;

namespace LocalSidecar.Tests.State;

/// <summary>
/// What state.redis leaves in Redis, read with plain Redis commands, and the other way round: hashes written the way
/// daprd's component writes them, read through the store.
/// </summary>
public sealed class RedisStorageLayoutTests(SharedServers servers) : IClassFixture<SharedServers>, IAsyncLifetime
{
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(30));
    private readonly string _prefix = servers.NewRedisKeyPrefix("redis-layout");
    private ConnectionMultiplexer _redis = null!;
    private RedisStateStore _store = null!;

    private CancellationToken Ct => _timeout.Token;

    private IDatabase Raw => _redis.GetDatabase();

    public async Task InitializeAsync()
    {
        _redis = await ConnectionMultiplexer.ConnectAsync(servers.Redis.Endpoint);
        _store = await StartStoreAsync();
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        await _redis.DisposeAsync();
        _timeout.Dispose();
    }

    private string Key(string name) => $"{_prefix}orders-app||{name}";

    private async Task<RedisStateStore> StartStoreAsync(params (string, string)[] metadata)
    {
        var store = new RedisStateStore(Components.Redis(servers.Redis, metadata));
        await store.InitAsync(Ct);
        return store;
    }

    private async Task<Dictionary<string, byte[]>> HashAsync(string key)
        => (await Raw.HashGetAllAsync(key)).ToDictionary(e => e.Name.ToString(), e => (byte[])e.Value!);

    private static StateValue Json(string json) => new(Encoding.UTF8.GetBytes(json), IsJson: true);

    [Fact]
    public async Task a_save_leaves_a_hash_with_exactly_data_and_version()
    {
        byte[] bytes = [0x0a, 0x03, 0x77, 0x66, 0x31, 0x00, 0xff];

        await _store.SetAsync(new SetOperation(Key("wf1||metadata"), new StateValue(bytes, IsJson: false)), Ct);

        var hash = await HashAsync(Key("wf1||metadata"));
        Assert.Equal(["data", "version"], hash.Keys.Order());
        Assert.Equal(bytes, hash["data"]);
        Assert.Equal("1", Encoding.ASCII.GetString(hash["version"]));
        Assert.Equal(RedisType.Hash, await Raw.KeyTypeAsync(Key("wf1||metadata")));
    }

    [Fact]
    public async Task every_save_raises_version_by_one_and_the_etag_is_that_number()
    {
        await _store.SetAsync(new SetOperation(Key("order"), Json("1")), Ct);
        await _store.SetAsync(new SetOperation(Key("order"), Json("2")), Ct);

        var item = await _store.GetAsync(Key("order"), Ct);

        Assert.Equal("2", (string?)await Raw.HashGetAsync(Key("order"), "version"));
        Assert.Equal("2", item.ETag);
    }

    [Fact]
    public async Task a_json_value_is_stored_as_the_exact_bytes_sent()
    {
        const string json = """{ "b" :1,  "a": [ 2 ] }""";

        await _store.SetAsync(new SetOperation(Key("order"), Json(json)), Ct);

        Assert.Equal(json, (string?)await Raw.HashGetAsync(Key("order"), "data"));
    }

    [Fact]
    public async Task a_first_write_save_adds_the_first_write_field_set_to_zero_as_dapr_does()
    {
        await _store.SetAsync(new SetOperation(Key("order"), Json("1"), Concurrency: Concurrency.FirstWrite), Ct);

        var hash = await HashAsync(Key("order"));
        Assert.Equal(["data", "first-write", "version"], hash.Keys.Order());
        Assert.Equal("0", Encoding.ASCII.GetString(hash["first-write"]));
    }

    [Fact]
    public async Task a_first_write_save_inside_a_transaction_writes_no_first_write_field_as_daprs_multi_does_not()
    {
        await _store.ExecuteTransactionAsync([new SetOperation(Key("order"), Json("1"), Concurrency: Concurrency.FirstWrite)], Ct);

        Assert.Equal(["data", "version"], (await HashAsync(Key("order"))).Keys.Order());
    }

    [Fact]
    public async Task a_ttl_sets_the_key_expiry_a_save_without_ttl_keeps_it_and_ttl_minus_one_removes_it()
    {
        await _store.SetAsync(new SetOperation(Key("session"), Json("1"), TtlInSeconds: 100), Ct);
        Assert.InRange((await Raw.KeyTimeToLiveAsync(Key("session")))!.Value, TimeSpan.FromSeconds(95), TimeSpan.FromSeconds(100));

        // Like Dapr: a save that names no TTL leaves the hash's expiry alone.
        await _store.SetAsync(new SetOperation(Key("session"), Json("2")), Ct);
        Assert.NotNull(await Raw.KeyTimeToLiveAsync(Key("session")));

        await _store.SetAsync(new SetOperation(Key("session"), Json("3"), TtlInSeconds: -1), Ct);
        Assert.Null(await Raw.KeyTimeToLiveAsync(Key("session")));
    }

    [Fact]
    public async Task the_components_ttl_in_seconds_applies_to_saves_that_name_none()
    {
        await using var store = await StartStoreAsync(("ttlInSeconds", "50"));

        await store.SetAsync(new SetOperation(Key("cached"), Json("1")), Ct);
        await store.SetAsync(new SetOperation(Key("kept"), Json("1"), TtlInSeconds: 0), Ct);

        Assert.InRange((await Raw.KeyTimeToLiveAsync(Key("cached")))!.Value, TimeSpan.FromSeconds(45), TimeSpan.FromSeconds(50));
        Assert.Null(await Raw.KeyTimeToLiveAsync(Key("kept")));
    }

    [Fact]
    public async Task a_hash_written_the_way_daprd_writes_it_reads_back_and_takes_its_version_as_etag()
    {
        byte[] data = [0x01, 0x02, 0xfe];
        await Raw.HashSetAsync(Key("order"), [new HashEntry("data", data), new HashEntry("version", 41)]);

        var item = await _store.GetAsync(Key("order"), Ct);
        Assert.Equal(data, item.Data);
        Assert.Equal("41", item.ETag);

        await _store.SetAsync(new SetOperation(Key("order"), Json("2"), "41", Concurrency.FirstWrite), Ct);
        Assert.Equal("42", (string?)await Raw.HashGetAsync(Key("order"), "version"));
    }

    [Fact]
    public async Task a_last_write_save_overwrites_a_key_that_daprd_flagged_first_write()
    {
        // Deliberate difference: Dapr's script refuses this save; the local store lets last-write win and keeps the flag.
        await Raw.HashSetAsync(Key("order"), [new HashEntry("data", "1"), new HashEntry("version", 3), new HashEntry("first-write", 0)]);

        await _store.SetAsync(new SetOperation(Key("order"), Json("2")), Ct);

        var hash = await HashAsync(Key("order"));
        Assert.Equal("2", Encoding.ASCII.GetString(hash["data"]));
        Assert.Equal("4", Encoding.ASCII.GetString(hash["version"]));
        Assert.Equal("0", Encoding.ASCII.GetString(hash["first-write"]));
    }

    [Fact]
    public async Task a_plain_string_from_the_pre_hash_layout_reads_without_an_etag_and_the_next_save_replaces_it()
    {
        await Raw.StringSetAsync(Key("legacy"), "\"old\"");

        var item = await _store.GetAsync(Key("legacy"), Ct);
        Assert.Equal("\"old\"", Encoding.UTF8.GetString(item.Data!));
        Assert.Null(item.ETag);

        await _store.SetAsync(new SetOperation(Key("legacy"), Json("\"new\"")), Ct);
        Assert.Equal(["data", "version"], (await HashAsync(Key("legacy"))).Keys.Order());
    }

    [Fact]
    public async Task a_hash_without_data_or_version_is_an_error_not_a_missing_key()
    {
        await Raw.HashSetAsync(Key("broken"), "data", "1");

        await Assert.ThrowsAsync<StateStoreException>(() => _store.GetAsync(Key("broken"), Ct));
    }

    [Fact]
    public async Task a_transaction_with_a_stale_etag_leaves_every_raw_key_untouched()
    {
        await _store.SetAsync(new SetOperation(Key("kept"), Json("1")), Ct);
        await _store.SetAsync(new SetOperation(Key("guarded"), Json("1")), Ct);
        await _store.SetAsync(new SetOperation(Key("guarded"), Json("2")), Ct);
        var before = (await HashAsync(Key("kept")), await HashAsync(Key("guarded")));

        await Assert.ThrowsAsync<ETagMismatchException>(() => _store.ExecuteTransactionAsync(
        [
            new SetOperation(Key("new"), Json("1"), TtlInSeconds: 60),
            new DeleteOperation(Key("kept")),
            new SetOperation(Key("kept"), Json("9")),
            new SetOperation(Key("guarded"), Json("3"), "1", Concurrency.FirstWrite),
        ], Ct));

        Assert.False(await Raw.KeyExistsAsync(Key("new")));
        Assert.Equal(before.Item1, await HashAsync(Key("kept")));
        Assert.Equal(before.Item2, await HashAsync(Key("guarded")));
        Assert.Null(await Raw.KeyTimeToLiveAsync(Key("kept")));
    }

    [Fact]
    public async Task a_transaction_writes_the_same_layout_as_single_saves()
    {
        await _store.ExecuteTransactionAsync(
        [
            new SetOperation(Key("a"), Json("1")),
            new SetOperation(Key("a"), Json("2")),
            new SetOperation(Key("b"), Json("3"), TtlInSeconds: 60),
        ], Ct);

        var a = await HashAsync(Key("a"));
        Assert.Equal("2", Encoding.ASCII.GetString(a["data"]));
        Assert.Equal("2", Encoding.ASCII.GetString(a["version"]));
        Assert.NotNull(await Raw.KeyTimeToLiveAsync(Key("b")));
    }

    [Fact]
    public async Task under_first_write_a_non_integer_etag_is_invalid_while_last_write_ignores_it()
    {
        await _store.SetAsync(new SetOperation(Key("order"), Json("1")), Ct);

        await Assert.ThrowsAsync<ETagInvalidException>(() =>
            _store.SetAsync(new SetOperation(Key("order"), Json("2"), "not-a-number", Concurrency.FirstWrite), Ct));
        await _store.SetAsync(new SetOperation(Key("order"), Json("3"), "not-a-number", Concurrency.LastWrite), Ct);

        Assert.Equal("3", (string?)await Raw.HashGetAsync(Key("order"), "data"));
    }

    [Fact]
    public async Task a_delete_compares_the_etag_as_text_like_daprs_script()
    {
        await _store.SetAsync(new SetOperation(Key("order"), Json("1")), Ct);

        await Assert.ThrowsAsync<ETagMismatchException>(() => _store.DeleteAsync(new DeleteOperation(Key("order"), "not-a-number"), Ct));
        await _store.DeleteAsync(new DeleteOperation(Key("never-written"), "7"), Ct);
        await _store.DeleteAsync(new DeleteOperation(Key("order"), "0"), Ct);

        Assert.False(await Raw.KeyExistsAsync(Key("order")));
    }
}
