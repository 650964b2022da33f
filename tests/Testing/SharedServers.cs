using System.Text;
using Xunit;

namespace Dapr.Testing;

/// <summary>
/// One PostgreSQL and one Redis for a whole test process, however many fixtures ask for them: starting a
/// server costs about a second, a fresh database a few milliseconds.
/// </summary>
/// <remarks>
/// <para>
/// xunit v2 only finds collection definitions in the test assembly itself, so each test project declares:
/// <code>
/// [CollectionDefinition(SharedServers.Collection)]
/// public sealed class SharedServersCollection : ICollectionFixture&lt;SharedServers&gt;;
///
/// [Collection(SharedServers.Collection)]
/// public sealed class MyTests(SharedServers servers) { ... }
/// </code>
/// Tests of one collection run one after another. For tests that may run in parallel, use
/// <c>IClassFixture&lt;SharedServers&gt;</c> instead: every instance shares the same two servers either way.
/// </para>
/// <para>
/// Isolation: each test takes its own database from <see cref="NewDatabaseAsync"/> and its own Redis key
/// prefix from <see cref="NewRedisKeyPrefix"/>. Redis's numbered databases were not chosen: there are only 16
/// of them, Dapr's Redis components use DB 0 unless configured otherwise, and FLUSHDB on a shared server would
/// wipe whatever the tests running beside it hold. A test that must flush, kill or restart Redis (or
/// PostgreSQL) starts a private <see cref="RedisServer"/> (<see cref="PostgresServer"/>) of its own instead.
/// </para>
/// <para>
/// The servers live until the test process exits (they are killed and their folders deleted then), because
/// xunit v2 has no fixture spanning the whole assembly; <see cref="DisposeAsync"/> therefore does nothing.
/// </para>
/// </remarks>
public sealed class SharedServers : IAsyncLifetime
{
    public const string Collection = "Dapr.Testing.SharedServers";

    private static readonly Lazy<Task<(PostgresServer Postgres, RedisServer Redis)>> Servers = new(StartBothAsync);

    private PostgresServer? _postgres;
    private RedisServer? _redis;

    public PostgresServer Postgres => _postgres ?? throw NotInitialized();

    public RedisServer Redis => _redis ?? throw NotInitialized();

    public async Task InitializeAsync() => (_postgres, _redis) = await Servers.Value;

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>Creates a database nobody else uses and returns the superuser's connection string for it.</summary>
    /// <param name="prefix">Shows up in the name, so a leftover database tells which test made it.</param>
    public Task<string> NewDatabaseAsync(string prefix = "test", CancellationToken ct = default) =>
        Postgres.CreateDatabaseAsync(UniqueName(prefix), ct: ct);

    /// <summary>A key prefix nobody else uses, ending in ':' (e.g. "orders:3f2a9c1b7d4e:").</summary>
    public string NewRedisKeyPrefix(string prefix = "test") => $"{prefix}:{Guid.NewGuid().ToString("N")[..12]}:";

    private static async Task<(PostgresServer, RedisServer)> StartBothAsync()
    {
        var postgres = PostgresServer.StartAsync();
        var redis = RedisServer.StartAsync();
        try
        {
            await Task.WhenAll(postgres, redis);
        }
        catch (Exception)
        {
            // Whichever one did start must not be left running for the rest of the process.
            if (postgres.IsCompletedSuccessfully)
            {
                await postgres.Result.DisposeAsync();
            }

            if (redis.IsCompletedSuccessfully)
            {
                await redis.Result.DisposeAsync();
            }

            throw;
        }

        return (postgres.Result, redis.Result);
    }

    /// <summary>A legal, unquoted PostgreSQL name (lowercase, at most 63 bytes) that starts with the prefix.</summary>
    private static string UniqueName(string prefix)
    {
        var name = new StringBuilder();
        foreach (var c in prefix.ToLowerInvariant())
        {
            name.Append(c is >= 'a' and <= 'z' or >= '0' and <= '9' or '_' ? c : '_');
        }

        if (name.Length == 0 || !char.IsAsciiLetter(name[0]))
        {
            name.Insert(0, 't');
        }

        var head = name.ToString();
        return $"{head[..Math.Min(head.Length, 40)]}_{Guid.NewGuid().ToString("N")[..16]}";
    }

    private static InvalidOperationException NotInitialized() =>
        new("SharedServers is used before xunit initialized it; take it as a class or collection fixture.");
}
