using Npgsql;
using StackExchange.Redis;

namespace Dapr.Testing.Tests;

// Every test project that uses SharedServers as a collection fixture declares this once.
[CollectionDefinition(SharedServers.Collection)]
public sealed class SharedServersCollection : ICollectionFixture<SharedServers>;

[Collection(SharedServers.Collection)]
public sealed class SharedServersTests(SharedServers servers)
{
    [Fact]
    public async Task new_databases_are_distinct_empty_and_named_after_the_prefix()
    {
        var first = await servers.NewDatabaseAsync("Orders-Service");
        var second = await servers.NewDatabaseAsync("Orders-Service");

        var firstName = new NpgsqlConnectionStringBuilder(first).Database!;
        var secondName = new NpgsqlConnectionStringBuilder(second).Database!;
        Assert.NotEqual(firstName, secondName);
        Assert.StartsWith("orders_service_", firstName);
        Assert.Equal(firstName, await Sql.ScalarAsync<string>(first, "SELECT current_database()::text"));

        await Sql.ExecuteAsync(first, "CREATE TABLE only_here (id int)");
        Assert.Equal(
            0L,
            await Sql.ScalarAsync<long>(second, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'only_here'"));
    }

    [Fact]
    public async Task redis_key_prefixes_keep_tests_apart_on_the_shared_server()
    {
        var mine = servers.NewRedisKeyPrefix("cart");
        var theirs = servers.NewRedisKeyPrefix("cart");
        await using var mux = await ConnectionMultiplexer.ConnectAsync(servers.Redis.ConnectionString);
        var db = mux.GetDatabase();

        await db.StringSetAsync(mine + "item", "mine");
        await db.StringSetAsync(theirs + "item", "theirs");

        Assert.NotEqual(mine, theirs);
        Assert.StartsWith("cart:", mine);
        Assert.EndsWith(":", mine);
        Assert.Equal("mine", (string?)await db.StringGetAsync(mine + "item"));
        Assert.Equal("theirs", (string?)await db.StringGetAsync(theirs + "item"));
    }

    [Fact]
    public async Task every_fixture_instance_gets_the_same_running_servers()
    {
        var another = new SharedServers();
        await another.InitializeAsync();

        Assert.Same(servers.Postgres, another.Postgres);
        Assert.Same(servers.Redis, another.Redis);
        Assert.True(servers.Postgres.IsRunning);
        Assert.True(servers.Redis.IsRunning);

        // A fixture's disposal must not stop servers that other fixtures still use.
        await another.DisposeAsync();
        Assert.Equal(1, await Sql.ScalarAsync<int>(servers.Postgres.ConnectionString, "SELECT 1"));
    }
}
