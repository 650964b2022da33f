using System.Text;
using System.Text.Json;
using Dapr;
using Dapr.Client;
using Dapr.Testing;
using Microsoft.Extensions.DependencyInjection;
using LocalSidecar.Tests.Infrastructure;

namespace LocalSidecar.Tests.Conformance;

/// <summary>
/// The transactional outbox through the real SDK: a state transaction and its event commit together or not at all
/// (docs: state-management/howto-outbox).
/// </summary>
[Collection(SharedServers.Collection)]
public abstract class OutboxConformance(SharedServers servers) : IAsyncLifetime
{
    private RedisServer _broker = null!;
    private TestSubscriberApp _app = null!;
    private TestSidecar _sidecar = null!;

    protected abstract StoreKind Kind { get; }

    public async Task InitializeAsync()
    {
        _broker = await RedisServer.StartAsync();
        _app = await TestSubscriberApp.StartAsync();
        var store = await ComponentYaml.StateStoreAsync("statestore", Kind, servers,
            ("outboxPublishPubsub", "pubsub"), ("outboxPublishTopic", "behaviour"));
        _sidecar = await TestSidecar.StartAsync("outbox-" + Guid.NewGuid().ToString("N")[..8], [store, PubSubComponents.Redis(_broker)], appPort: _app.Port);
    }

    public async Task DisposeAsync()
    {
        await _sidecar.DisposeAsync();
        await _app.DisposeAsync();
        await _broker.DisposeAsync();
    }

    private static StateTransactionRequest Upsert(string key, object value, string? etag = null)
        => new(key, JsonSerializer.SerializeToUtf8Bytes(value, JsonSerializerOptions.Web), StateOperationType.Upsert, etag,
            new Dictionary<string, string> { ["contentType"] = "application/json" });

    [Fact]
    public async Task a_committed_transaction_publishes_each_upsert_with_its_value_as_data()
    {
        await _sidecar.Client.ExecuteStateTransactionAsync("statestore", [Upsert("order-1", new { id = "o1", action = "success" })]);

        var delivery = (await Deliveries.WaitForAsync(_app.Http, d => d.Any(x => x.Id == "o1"))).Single(x => x.Id == "o1");

        Assert.Equal("behaviour", delivery.Envelope.GetProperty("topic").GetString());
        Assert.StartsWith("outbox-", delivery.Envelope.GetProperty("id").GetString());
        Assert.Equal("success", delivery.Envelope.GetProperty("data").GetProperty("action").GetString());
        Assert.NotNull(await _sidecar.Client.GetStateAsync<JsonElement?>("statestore", "order-1"));
    }

    [Fact]
    public async Task a_projection_is_published_instead_of_the_stored_value()
    {
        var stored = Upsert("order-2", new { id = "full-record", action = "success", secret = "kept in state" });
        var projection = Upsert("order-2", new { id = "o2", action = "success" }).WithOutboxProjection(); // the SDK 1.19 helper

        await _sidecar.Client.ExecuteStateTransactionAsync("statestore", [stored, projection]);

        var delivery = (await Deliveries.WaitForAsync(_app.Http, d => d.Any(x => x.Id == "o2"))).Single(x => x.Id == "o2");
        Assert.False(delivery.Envelope.GetProperty("data").TryGetProperty("secret", out _));
        Assert.Equal("kept in state", (await _sidecar.Client.GetStateAsync<JsonElement>("statestore", "order-2")).GetProperty("secret").GetString());
    }

    [Fact]
    public async Task a_transaction_that_fails_publishes_nothing()
    {
        await _sidecar.Client.SaveStateAsync("statestore", "order-3", new { v = 1 });
        var (_, stale) = await _sidecar.Client.GetStateAndETagAsync<JsonElement>("statestore", "order-3");
        await _sidecar.Client.SaveStateAsync("statestore", "order-3", new { v = 2 });

        await Assert.ThrowsAsync<DaprException>(() => _sidecar.Client.ExecuteStateTransactionAsync("statestore",
            [Upsert("order-3", new { id = "never", action = "success" }, stale)]));
        await _sidecar.Client.ExecuteStateTransactionAsync("statestore", [Upsert("order-4", new { id = "after", action = "success" })]);

        // The relay gives a missing marker daprd's full 1 s + 10 s before giving up; wait past that.
        await Deliveries.WaitForAsync(_app.Http, d => d.Any(x => x.Id == "after"));
        await Task.Delay(TimeSpan.FromSeconds(12));
        Assert.DoesNotContain(await Deliveries.ListAsync(_app.Http), d => d.Id == "never");
    }

    [Fact]
    public async Task the_outbox_marker_is_gone_once_the_event_is_forwarded()
    {
        await _sidecar.Client.ExecuteStateTransactionAsync("statestore", [Upsert("order-5", new { id = "o5", action = "success" })]);
        var delivery = (await Deliveries.WaitForAsync(_app.Http, d => d.Any(x => x.Id == "o5"))).Single(x => x.Id == "o5");
        var marker = delivery.Envelope.GetProperty("id").GetString()!;

        var store = _sidecar.Host.Services.GetRequiredService<LocalSidecar.State.StateStoreRegistry>().Stores["statestore"].Store;
        await Eventually.TrueAsync(async () => !(await store.GetAsync(marker, CancellationToken.None)).Exists,
            TimeSpan.FromSeconds(10), () => $"marker {marker} was not deleted");
    }
}

public sealed class RedisOutboxConformance(SharedServers servers) : OutboxConformance(servers)
{
    protected override StoreKind Kind => StoreKind.Redis;
}

public sealed class PostgresOutboxConformance(SharedServers servers) : OutboxConformance(servers)
{
    protected override StoreKind Kind => StoreKind.Postgres;
}

public sealed class InMemoryOutboxConformance(SharedServers servers) : OutboxConformance(servers)
{
    protected override StoreKind Kind => StoreKind.InMemory;
}
