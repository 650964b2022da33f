using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using LocalSidecar.State;

namespace LocalSidecar.Tests.State;

/// <summary>
/// The behaviour every state store shares, run once per store against a real server. Where Dapr's components
/// differ on purpose, a subclass says which rule its store follows instead of the test being skipped.
/// </summary>
public abstract class StateStoreBehaviour : IAsyncLifetime
{
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(60));
    private IStateStore? _store;

    protected CancellationToken Ct => _timeout.Token;

    protected IStateStore Store => _store ?? throw new InvalidOperationException("the store is created in InitializeAsync");

    /// <summary>Dapr's redis store ignores the etag under last-write; the others check any etag they are given.</summary>
    protected virtual bool LastWriteChecksETag => true;

    /// <summary>Dapr's redis store returns no ttlExpireTime; the others do.</summary>
    protected virtual bool ReportsTtlExpireTime => true;

    /// <summary>Prepended to every key so tests sharing a server never see each other's keys.</summary>
    protected virtual string KeyPrefix => string.Empty;

    protected abstract Task<IStateStore> CreateStoreAsync();

    public async Task InitializeAsync()
    {
        _store = await CreateStoreAsync();
        await _store.InitAsync(Ct);
    }

    public async Task DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }

        _timeout.Dispose();
    }

    protected string Key(string name) => $"{KeyPrefix}orders-app||{name}";

    protected static StateValue Json(string json) => new(Encoding.UTF8.GetBytes(json), IsJson: true);

    protected static StateValue Binary(params byte[] bytes) => new(bytes, IsJson: false);

    protected async Task<string> SaveAsync(string key, StateValue value, int? ttl = null)
    {
        await Store.SetAsync(new SetOperation(key, value, TtlInSeconds: ttl), Ct);
        var item = await Store.GetAsync(key, Ct);
        Assert.True(item.Exists);
        return item.ETag ?? throw new Xunit.Sdk.XunitException($"{key} has no etag after a save");
    }

    protected static void AssertSameJson(string expected, byte[]? actual)
    {
        Assert.NotNull(actual);
        var actualNode = JsonNode.Parse(actual);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), actualNode), $"expected {expected}, got {Encoding.UTF8.GetString(actual)}");
    }

    [Fact]
    public async Task a_transaction_reports_the_etags_its_keys_now_have_and_leaves_deleted_keys_out()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var (written, deleted) = (Key($"tx-etags-{run}-a"), Key($"tx-etags-{run}-b"));
        await SaveAsync(deleted, Binary(1));

        var etags = await Store.ExecuteTransactionReturningETagsAsync(
            [new SetOperation(written, Binary(2)), new SetOperation(written, Binary(3)), new DeleteOperation(deleted)], Ct);

        var read = await Store.GetAsync(written, Ct);
        Assert.Equal([3], read.Data);
        Assert.Equal(read.ETag, etags[written]);
        Assert.False(etags.ContainsKey(deleted));
    }

    [Fact]
    public async Task listing_keys_finds_those_with_the_prefix_and_suffix_and_takes_glob_characters_literally()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        string[] wanted = [Key($"list-{run}*[a]||metadata"), Key($"list-{run}*[a]?b||metadata")];
        await SaveAsync(wanted[0], Binary(1));
        await SaveAsync(wanted[1], Binary(2));
        await SaveAsync(Key($"list-{run}*[a]||inbox-000000"), Binary(3));
        await SaveAsync(Key($"list-{run}x[a]||metadata"), Binary(4));
        await SaveAsync(Key($"list-{run}*[a]-gone||metadata"), Binary(5));
        await Store.DeleteAsync(new DeleteOperation(Key($"list-{run}*[a]-gone||metadata")), Ct);

        var keys = await Store.KeysAsync(Key($"list-{run}*[a]"), "||metadata", Ct);

        Assert.Equal(wanted.Order(StringComparer.Ordinal), keys);
    }

    [Fact]
    public async Task a_missing_key_reads_as_missing()
    {
        var item = await Store.GetAsync(Key("never-written"), Ct);

        Assert.False(item.Exists);
        Assert.Null(item.ETag);
    }

    [Fact]
    public async Task a_saved_json_value_reads_back_with_an_etag()
    {
        const string order = """{"id": 7, "customer": "anna", "lines": [{"sku": "A-1", "qty": 2}]}""";
        await Store.SetAsync(new SetOperation(Key("order-7"), Json(order)), Ct);

        var item = await Store.GetAsync(Key("order-7"), Ct);

        Assert.Equal(Key("order-7"), item.Key);
        AssertSameJson(order, item.Data);
        Assert.False(string.IsNullOrEmpty(item.ETag));
    }

    [Fact]
    public async Task a_saved_binary_value_reads_back_byte_for_byte()
    {
        // Not valid UTF-8, and a zero byte: what protobuf workflow state looks like.
        byte[] bytes = [0x00, 0xff, 0x10, 0x80, 0xc3, 0x28, (byte)'a'];
        await Store.SetAsync(new SetOperation(Key("blob"), Binary(bytes)), Ct);

        var item = await Store.GetAsync(Key("blob"), Ct);

        Assert.Equal(bytes, item.Data);
    }

    [Fact]
    public async Task every_save_changes_the_etag()
    {
        var first = await SaveAsync(Key("counter"), Json("1"));
        var second = await SaveAsync(Key("counter"), Json("2"));

        Assert.NotEqual(first, second);
    }

    [Fact]
    public async Task a_save_with_a_stale_etag_is_a_mismatch_and_changes_nothing()
    {
        var stale = await SaveAsync(Key("order"), Json("""{"v": 1}"""));
        await SaveAsync(Key("order"), Json("""{"v": 2}"""));

        var error = await Assert.ThrowsAsync<ETagMismatchException>(() =>
            Store.SetAsync(new SetOperation(Key("order"), Json("""{"v": 3}"""), stale, Concurrency.FirstWrite), Ct));

        Assert.Equal(Key("order"), error.Key);
        AssertSameJson("""{"v": 2}""", (await Store.GetAsync(Key("order"), Ct)).Data);
    }

    [Fact]
    public async Task a_delete_with_a_stale_etag_is_a_mismatch_and_keeps_the_value()
    {
        var stale = await SaveAsync(Key("order"), Json("""{"v": 1}"""));
        await SaveAsync(Key("order"), Json("""{"v": 2}"""));

        await Assert.ThrowsAsync<ETagMismatchException>(() => Store.DeleteAsync(new DeleteOperation(Key("order"), stale), Ct));

        AssertSameJson("""{"v": 2}""", (await Store.GetAsync(Key("order"), Ct)).Data);
    }

    [Fact]
    public async Task a_delete_with_the_current_etag_removes_the_value()
    {
        var current = await SaveAsync(Key("order"), Json("""{"v": 1}"""));

        await Store.DeleteAsync(new DeleteOperation(Key("order"), current), Ct);

        Assert.False((await Store.GetAsync(Key("order"), Ct)).Exists);
    }

    [Fact]
    public async Task a_delete_without_an_etag_of_a_missing_key_is_not_an_error()
    {
        await Store.DeleteAsync(new DeleteOperation(Key("never-written")), Ct);

        Assert.False((await Store.GetAsync(Key("never-written"), Ct)).Exists);
    }

    [Fact]
    public async Task a_last_write_save_without_an_etag_overwrites()
    {
        await SaveAsync(Key("order"), Json("""{"v": 1}"""));

        await Store.SetAsync(new SetOperation(Key("order"), Json("""{"v": 2}""")), Ct);

        AssertSameJson("""{"v": 2}""", (await Store.GetAsync(Key("order"), Ct)).Data);
    }

    [Fact]
    public async Task a_last_write_save_with_a_stale_etag_follows_the_stores_rule()
    {
        var stale = await SaveAsync(Key("order"), Json("""{"v": 1}"""));
        await SaveAsync(Key("order"), Json("""{"v": 2}"""));
        var save = new SetOperation(Key("order"), Json("""{"v": 3}"""), stale, Concurrency.LastWrite);

        if (LastWriteChecksETag)
        {
            await Assert.ThrowsAsync<ETagMismatchException>(() => Store.SetAsync(save, Ct));
            AssertSameJson("""{"v": 2}""", (await Store.GetAsync(Key("order"), Ct)).Data);
        }
        else
        {
            await Store.SetAsync(save, Ct);
            AssertSameJson("""{"v": 3}""", (await Store.GetAsync(Key("order"), Ct)).Data);
        }
    }

    [Fact]
    public async Task first_write_without_an_etag_fails_on_an_existing_key()
    {
        await SaveAsync(Key("order"), Json("""{"v": 1}"""));

        await Assert.ThrowsAsync<ETagMismatchException>(() =>
            Store.SetAsync(new SetOperation(Key("order"), Json("""{"v": 2}"""), Concurrency: Concurrency.FirstWrite), Ct));

        AssertSameJson("""{"v": 1}""", (await Store.GetAsync(Key("order"), Ct)).Data);
    }

    [Fact]
    public async Task first_write_without_an_etag_succeeds_on_a_new_key()
    {
        await Store.SetAsync(new SetOperation(Key("order"), Json("""{"v": 1}"""), Concurrency: Concurrency.FirstWrite), Ct);

        AssertSameJson("""{"v": 1}""", (await Store.GetAsync(Key("order"), Ct)).Data);
    }

    [Fact]
    public async Task first_write_with_the_current_etag_succeeds()
    {
        var current = await SaveAsync(Key("order"), Json("""{"v": 1}"""));

        await Store.SetAsync(new SetOperation(Key("order"), Json("""{"v": 2}"""), current, Concurrency.FirstWrite), Ct);

        AssertSameJson("""{"v": 2}""", (await Store.GetAsync(Key("order"), Ct)).Data);
    }

    [Fact]
    public async Task a_value_saved_with_a_three_second_ttl_expires()
    {
        var before = DateTimeOffset.UtcNow;
        // Three seconds, not one: the read below must come before the expiry even on a busy machine.
        await Store.SetAsync(new SetOperation(Key("session"), Json("""{"user": "anna"}"""), TtlInSeconds: 3), Ct);

        var fresh = await Store.GetAsync(Key("session"), Ct);
        Assert.True(fresh.Exists);
        if (ReportsTtlExpireTime)
        {
            var expires = DateTimeOffset.Parse(fresh.Metadata["ttlExpireTime"], CultureInfo.InvariantCulture);
            Assert.InRange(expires, before.AddSeconds(2), DateTimeOffset.UtcNow.AddSeconds(4));
        }
        else
        {
            Assert.DoesNotContain("ttlExpireTime", fresh.Metadata.Keys);
        }

        await Task.Delay(TimeSpan.FromSeconds(4), Ct);

        Assert.False((await Store.GetAsync(Key("session"), Ct)).Exists);
    }

    [Fact]
    public async Task a_value_saved_without_a_ttl_reports_no_expiry()
    {
        await Store.SetAsync(new SetOperation(Key("order"), Json("1")), Ct);

        Assert.DoesNotContain("ttlExpireTime", (await Store.GetAsync(Key("order"), Ct)).Metadata.Keys);
    }

    [Fact]
    public async Task a_transaction_applies_all_of_its_operations()
    {
        await SaveAsync(Key("c"), Json("3"));

        await Store.ExecuteTransactionAsync(
        [
            new SetOperation(Key("a"), Json("1")),
            new SetOperation(Key("b"), Binary(2)),
            new DeleteOperation(Key("c")),
        ], Ct);

        AssertSameJson("1", (await Store.GetAsync(Key("a"), Ct)).Data);
        Assert.Equal([2], (await Store.GetAsync(Key("b"), Ct)).Data);
        Assert.False((await Store.GetAsync(Key("c"), Ct)).Exists);
    }

    [Fact]
    public async Task a_transaction_with_one_stale_etag_writes_nothing()
    {
        await SaveAsync(Key("c"), Json("""{"v": "c1"}"""));
        var stale = await SaveAsync(Key("b"), Json("""{"v": "b1"}"""));
        await SaveAsync(Key("b"), Json("""{"v": "b2"}"""));

        var error = await Assert.ThrowsAsync<ETagMismatchException>(() => Store.ExecuteTransactionAsync(
        [
            new SetOperation(Key("a"), Json("""{"v": "a1"}""")),
            new DeleteOperation(Key("c")),
            new SetOperation(Key("b"), Json("""{"v": "b3"}"""), stale, Concurrency.FirstWrite),
        ], Ct));

        Assert.Equal(Key("b"), error.Key);
        Assert.False((await Store.GetAsync(Key("a"), Ct)).Exists);
        AssertSameJson("""{"v": "c1"}""", (await Store.GetAsync(Key("c"), Ct)).Data);
        AssertSameJson("""{"v": "b2"}""", (await Store.GetAsync(Key("b"), Ct)).Data);
    }

    [Fact]
    public async Task a_transaction_checks_each_operation_against_the_state_the_earlier_ones_leave()
    {
        // The second save is first-write without an etag, so the key written by the first one makes it conflict.
        await Assert.ThrowsAsync<ETagMismatchException>(() => Store.ExecuteTransactionAsync(
        [
            new SetOperation(Key("a"), Json("1")),
            new SetOperation(Key("a"), Json("2"), Concurrency: Concurrency.FirstWrite),
        ], Ct));

        Assert.False((await Store.GetAsync(Key("a"), Ct)).Exists);
    }

    [Fact]
    public async Task bulk_get_returns_each_requested_key_in_order()
    {
        await SaveAsync(Key("one"), Json("1"));
        await SaveAsync(Key("three"), Binary(3));

        var items = await Store.BulkGetAsync([Key("three"), Key("two"), Key("one")], Ct);

        Assert.Equal([Key("three"), Key("two"), Key("one")], items.Select(i => i.Key));
        Assert.Equal([3], items[0].Data);
        Assert.False(items[1].Exists);
        AssertSameJson("1", items[2].Data);
        Assert.All(items.Where(i => i.Exists), i => Assert.False(string.IsNullOrEmpty(i.ETag)));
    }

    [Fact]
    public async Task of_twenty_concurrent_saves_with_the_same_etag_exactly_one_wins()
    {
        var etag = await SaveAsync(Key("stock"), Json("""{"left": 100}"""));

        var attempts = Enumerable.Range(0, 20).Select(async i =>
        {
            try
            {
                await Store.SetAsync(new SetOperation(Key("stock"), Json($$"""{"left": {{99 - i}}}"""), etag, Concurrency.FirstWrite), Ct);
                return (Writer: i, Won: true);
            }
            catch (ETagMismatchException)
            {
                return (Writer: i, Won: false);
            }
        }).ToList();
        var results = await Task.WhenAll(attempts);

        var winner = Assert.Single(results, r => r.Won);
        AssertSameJson($$"""{"left": {{99 - winner.Writer}}}""", (await Store.GetAsync(Key("stock"), Ct)).Data);
    }
}
