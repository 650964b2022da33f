using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapr;
using Dapr.Client;
using Dapr.Testing;
using Grpc.Core;
using LocalSidecar.Tests.Infrastructure;

namespace LocalSidecar.Tests.Conformance;

/// <summary>
/// The state building block seen through the real Dapr .NET SDK 1.19 and the HTTP API, the same assertions for every
/// store type. Each behaviour pinned here is one an app relies on when it runs on daprd.
/// </summary>
[Collection(SharedServers.Collection)]
public abstract class StateConformance(SharedServers servers) : IAsyncLifetime
{
    protected const string Store = "statestore";
    private TestSidecar? _sidecar;

    protected abstract StoreKind Kind { get; }

    protected TestSidecar Sidecar => _sidecar ?? throw new InvalidOperationException("not started");

    protected DaprClient Dapr => Sidecar.Client;

    public async Task InitializeAsync()
    {
        // A unique app id gives each test its own key space in the shared Redis, through the default keyPrefix (appid).
        var appId = "state-" + Guid.NewGuid().ToString("N")[..10];
        _sidecar = await TestSidecar.StartAsync(appId, [await ComponentYaml.StateStoreAsync(Store, Kind, servers)]);
    }

    public async Task DisposeAsync()
    {
        if (_sidecar is not null)
        {
            await _sidecar.DisposeAsync();
        }
    }

    public sealed record Product(string Sku, string Name, decimal Price);

    [Fact]
    public async Task a_missing_key_reads_as_default_without_error()
    {
        Assert.Null(await Dapr.GetStateAsync<Product>(Store, "missing"));

        var (value, etag) = await Dapr.GetStateAndETagAsync<Product>(Store, "missing");
        Assert.Null(value);
        Assert.True(string.IsNullOrEmpty(etag));
    }

    [Fact]
    public async Task a_saved_value_reads_back_with_an_etag()
    {
        var product = new Product("SKU-1", "Kettle", 39.90m);
        await Dapr.SaveStateAsync(Store, "p1", product);

        var (value, etag) = await Dapr.GetStateAndETagAsync<Product>(Store, "p1");

        Assert.Equal(product, value);
        Assert.False(string.IsNullOrEmpty(etag));
    }

    [Fact]
    public async Task try_save_with_a_stale_etag_returns_false_and_keeps_the_newer_value()
    {
        await Dapr.SaveStateAsync(Store, "p1", new Product("SKU-1", "v1", 1));
        var (_, staleEtag) = await Dapr.GetStateAndETagAsync<Product>(Store, "p1");
        await Dapr.SaveStateAsync(Store, "p1", new Product("SKU-1", "v2", 2));

        var saved = await Dapr.TrySaveStateAsync(Store, "p1", new Product("SKU-1", "v3", 3), staleEtag);

        Assert.False(saved);
        Assert.Equal("v2", (await Dapr.GetStateAsync<Product>(Store, "p1"))!.Name);
    }

    [Fact]
    public async Task try_save_with_the_current_etag_succeeds_and_changes_the_etag()
    {
        await Dapr.SaveStateAsync(Store, "p1", new Product("SKU-1", "v1", 1));
        var (_, etag) = await Dapr.GetStateAndETagAsync<Product>(Store, "p1");

        Assert.True(await Dapr.TrySaveStateAsync(Store, "p1", new Product("SKU-1", "v2", 2), etag));

        var (value, newEtag) = await Dapr.GetStateAndETagAsync<Product>(Store, "p1");
        Assert.Equal("v2", value!.Name);
        Assert.NotEqual(etag, newEtag);
    }

    [Fact]
    public async Task try_delete_with_a_stale_etag_returns_false_and_keeps_the_value()
    {
        await Dapr.SaveStateAsync(Store, "p1", new Product("SKU-1", "v1", 1));
        var (_, staleEtag) = await Dapr.GetStateAndETagAsync<Product>(Store, "p1");
        await Dapr.SaveStateAsync(Store, "p1", new Product("SKU-1", "v2", 2));

        Assert.False(await Dapr.TryDeleteStateAsync(Store, "p1", staleEtag));
        Assert.NotNull(await Dapr.GetStateAsync<Product>(Store, "p1"));

        var (_, currentEtag) = await Dapr.GetStateAndETagAsync<Product>(Store, "p1");
        Assert.True(await Dapr.TryDeleteStateAsync(Store, "p1", currentEtag));
        Assert.Null(await Dapr.GetStateAsync<Product>(Store, "p1"));
    }

    [Fact]
    public async Task first_write_without_an_etag_fails_on_an_existing_key()
    {
        var firstWrite = new StateOptions { Concurrency = ConcurrencyMode.FirstWrite };
        await Dapr.SaveStateAsync(Store, "p1", new Product("SKU-1", "first", 1), firstWrite);

        var error = await Assert.ThrowsAsync<DaprException>(() => Dapr.SaveStateAsync(Store, "p1", new Product("SKU-1", "second", 2), firstWrite));

        Assert.Equal(StatusCode.Aborted, Assert.IsType<RpcException>(error.InnerException).StatusCode);
        Assert.Equal("first", (await Dapr.GetStateAsync<Product>(Store, "p1"))!.Name);
    }

    [Fact]
    public async Task a_value_saved_with_ttl_expires()
    {
        await Dapr.SaveStateAsync(Store, "cart", new Product("SKU-1", "in cart", 1), metadata: new Dictionary<string, string> { ["ttlInSeconds"] = "1" });
        Assert.NotNull(await Dapr.GetStateAsync<Product>(Store, "cart"));

        await Eventually.TrueAsync(async () => await Dapr.GetStateAsync<Product>(Store, "cart") is null, TimeSpan.FromSeconds(5), () => "the cart did not expire");
    }

    [Fact]
    public async Task a_transaction_with_one_stale_etag_writes_nothing_and_fails_as_internal()
    {
        await Dapr.SaveStateAsync(Store, "a", new Product("A", "a1", 1));
        await Dapr.SaveStateAsync(Store, "b", new Product("B", "b1", 1));
        var (_, staleB) = await Dapr.GetStateAndETagAsync<Product>(Store, "b");
        await Dapr.SaveStateAsync(Store, "b", new Product("B", "b2", 2));

        var operations = new List<StateTransactionRequest>
        {
            new("a", JsonSerializer.SerializeToUtf8Bytes(new Product("A", "a2", 2), JsonSerializerOptions.Web), StateOperationType.Upsert),
            new("c", JsonSerializer.SerializeToUtf8Bytes(new Product("C", "c1", 1), JsonSerializerOptions.Web), StateOperationType.Upsert),
            new("b", JsonSerializer.SerializeToUtf8Bytes(new Product("B", "b3", 3), JsonSerializerOptions.Web), StateOperationType.Upsert, staleB),
        };

        var error = await Assert.ThrowsAsync<DaprException>(() => Dapr.ExecuteStateTransactionAsync(Store, operations));

        Assert.Equal(StatusCode.Internal, Assert.IsType<RpcException>(error.InnerException).StatusCode);
        Assert.Equal("a1", (await Dapr.GetStateAsync<Product>(Store, "a"))!.Name);
        Assert.Null(await Dapr.GetStateAsync<Product>(Store, "c"));
        Assert.Equal("b2", (await Dapr.GetStateAsync<Product>(Store, "b"))!.Name);
    }

    [Fact]
    public async Task a_transaction_applies_upserts_and_deletes_together()
    {
        await Dapr.SaveStateAsync(Store, "gone", new Product("G", "g", 1));

        await Dapr.ExecuteStateTransactionAsync(Store,
        [
            new("kept", JsonSerializer.SerializeToUtf8Bytes(new Product("K", "k", 1), JsonSerializerOptions.Web), StateOperationType.Upsert),
            new("gone", null, StateOperationType.Delete),
        ]);

        Assert.NotNull(await Dapr.GetStateAsync<Product>(Store, "kept"));
        Assert.Null(await Dapr.GetStateAsync<Product>(Store, "gone"));
    }

    [Fact]
    public async Task bulk_get_returns_every_key_asked_for_with_missing_ones_empty()
    {
        await Dapr.SaveStateAsync(Store, "x", new Product("X", "x", 1));
        await Dapr.SaveStateAsync(Store, "y", new Product("Y", "y", 2));

        var items = await Dapr.GetBulkStateAsync(Store, ["x", "y", "z"], parallelism: 2);

        Assert.Equal(["x", "y", "z"], items.Select(i => i.Key).Order());
        Assert.Contains("\"name\":\"y\"", items.Single(i => i.Key == "y").Value);
        Assert.True(string.IsNullOrEmpty(items.Single(i => i.Key == "z").Value));
    }

    [Fact]
    public async Task bulk_delete_removes_every_key()
    {
        await Dapr.SaveStateAsync(Store, "x", new Product("X", "x", 1));
        await Dapr.SaveStateAsync(Store, "y", new Product("Y", "y", 2));

        await Dapr.DeleteBulkStateAsync(Store, [new BulkDeleteStateItem("x", null!), new BulkDeleteStateItem("y", null!)]);

        Assert.Null(await Dapr.GetStateAsync<Product>(Store, "x"));
        Assert.Null(await Dapr.GetStateAsync<Product>(Store, "y"));
    }

    [Fact]
    public async Task of_twenty_parallel_saves_with_the_same_etag_exactly_one_wins()
    {
        await Dapr.SaveStateAsync(Store, "counter", new Product("C", "0", 0));
        var (_, etag) = await Dapr.GetStateAndETagAsync<Product>(Store, "counter");

        var results = await Task.WhenAll(Enumerable.Range(1, 20).Select(i =>
            Dapr.TrySaveStateAsync(Store, "counter", new Product("C", i.ToString(System.Globalization.CultureInfo.InvariantCulture), i), etag)));

        Assert.Single(results, saved => saved);
    }

    [Fact]
    public async Task an_unknown_store_is_invalid_argument_on_grpc_and_400_on_http()
    {
        var error = await Assert.ThrowsAsync<DaprException>(() => Dapr.GetStateAsync<Product>("nope", "k"));
        Assert.Equal(StatusCode.InvalidArgument, Assert.IsType<RpcException>(error.InnerException).StatusCode);

        var response = await Sidecar.Http.GetAsync("/v1.0/state/nope/k");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("ERR_STATE_STORE_NOT_FOUND", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errorCode").GetString());
    }

    [Fact]
    public async Task the_http_api_saves_reads_with_etag_header_and_rejects_a_stale_etag_with_409()
    {
        var save = await Sidecar.Http.PostAsJsonAsync($"/v1.0/state/{Store}", new[] { new { key = "h1", value = new { sku = "H", name = "http", price = 5 } } });
        Assert.Equal(HttpStatusCode.NoContent, save.StatusCode);

        var get = await Sidecar.Http.GetAsync($"/v1.0/state/{Store}/h1");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        var etag = get.Headers.ETag?.Tag ?? get.Headers.GetValues("ETag").Single();
        Assert.Equal("http", (await get.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("name").GetString());

        // The SDK reads what the HTTP API wrote: both speak the same stored bytes.
        Assert.Equal(new Product("H", "http", 5), await Dapr.GetStateAsync<Product>(Store, "h1"));

        await Dapr.SaveStateAsync(Store, "h1", new Product("H", "newer", 6));
        var stale = await Sidecar.Http.PostAsJsonAsync($"/v1.0/state/{Store}", new[] { new { key = "h1", value = new { name = "stale" }, etag } });
        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        Assert.Equal("ERR_STATE_SAVE", (await stale.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errorCode").GetString());

        Assert.Equal(HttpStatusCode.NoContent, (await Sidecar.Http.GetAsync($"/v1.0/state/{Store}/never-saved")).StatusCode);
    }

    [Fact]
    public async Task the_http_api_runs_transactions_and_bulk_reads()
    {
        var transaction = await Sidecar.Http.PostAsJsonAsync($"/v1.0/state/{Store}/transaction", new
        {
            operations = new object[]
            {
                new { operation = "upsert", request = new { key = "t1", value = new { n = 1 } } },
                new { operation = "upsert", request = new { key = "t2", value = new { n = 2 } } },
            },
        });
        Assert.Equal(HttpStatusCode.NoContent, transaction.StatusCode);

        var bulk = await Sidecar.Http.PostAsJsonAsync($"/v1.0/state/{Store}/bulk", new { keys = new[] { "t1", "t2" } });
        var items = await bulk.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal([1, 2], items.EnumerateArray().OrderBy(i => i.GetProperty("key").GetString()).Select(i => i.GetProperty("data").GetProperty("n").GetInt32()));
    }

    [Fact]
    public async Task a_negative_ttl_below_minus_one_is_rejected_and_nothing_is_written()
    {
        var error = await Assert.ThrowsAsync<DaprException>(() =>
            Dapr.SaveStateAsync(Store, "bad-ttl", new Product("B", "b", 1), metadata: new Dictionary<string, string> { ["ttlInSeconds"] = "-5" }));

        Assert.Equal(StatusCode.InvalidArgument, Assert.IsType<RpcException>(error.InnerException).StatusCode);
        Assert.Null(await Dapr.GetStateAsync<Product>(Store, "bad-ttl"));
    }
}

public sealed class InMemoryStateConformance(SharedServers servers) : StateConformance(servers)
{
    protected override StoreKind Kind => StoreKind.InMemory;
}

public sealed class RedisStateConformance(SharedServers servers) : StateConformance(servers)
{
    protected override StoreKind Kind => StoreKind.Redis;
}

public sealed class PostgresStateConformance(SharedServers servers) : StateConformance(servers)
{
    protected override StoreKind Kind => StoreKind.Postgres;
}
