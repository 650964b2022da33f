using Dapr.Testing;
using LocalSidecar.State;
using LocalSidecar.State.InMemory;
using LocalSidecar.State.Postgres;
using LocalSidecar.State.Redis;

namespace LocalSidecar.Tests.State;

public sealed class InMemoryStateStoreBehaviour : StateStoreBehaviour
{
    protected override Task<IStateStore> CreateStoreAsync()
        => Task.FromResult<IStateStore>(new InMemoryStateStore(Components.Define("state.in-memory", new Dictionary<string, string>()), TimeProvider.System));
}

public sealed class RedisStateStoreBehaviour(SharedServers servers) : StateStoreBehaviour, IClassFixture<SharedServers>
{
    private readonly string _prefix = servers.NewRedisKeyPrefix("redis-behaviour");

    protected override bool LastWriteChecksETag => false;

    protected override bool ReportsTtlExpireTime => false;

    protected override string KeyPrefix => _prefix;

    protected override Task<IStateStore> CreateStoreAsync()
        => Task.FromResult<IStateStore>(new RedisStateStore(Components.Redis(servers.Redis)));
}

public sealed class PostgresStateStoreBehaviour(SharedServers servers) : StateStoreBehaviour, IClassFixture<SharedServers>
{
    protected override async Task<IStateStore> CreateStoreAsync()
        => new PostgresStateStore(Components.Postgres(await servers.NewDatabaseAsync("pg_behaviour")), TimeProvider.System);
}
