using StackExchange.Redis;

namespace Dapr.Testing.Tests;

public sealed class RedisServerTests
{
    [Fact]
    public async Task a_started_redis_stores_and_returns_a_value()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var mux = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);

        await mux.GetDatabase().StringSetAsync("greeting", "hello");

        Assert.Equal("hello", (string?)await mux.GetDatabase().StringGetAsync("greeting"));
        Assert.Equal($"127.0.0.1:{redis.Port}", redis.Endpoint);
    }

    [Fact]
    public async Task a_killed_redis_restarts_on_the_same_port_and_a_connected_client_reconnects()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var mux = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        await mux.GetDatabase().StringSetAsync("volatile", "1");
        var port = redis.Port;

        await redis.KillAsync();

        Assert.False(redis.IsRunning);
        Assert.False(FreePort.IsListening(port));

        await redis.RestartAsync();

        Assert.Equal(port, redis.Port);
        // The same multiplexer, without reconnecting by hand: abortConnect=false in ConnectionString.
        Assert.True(await Processes.EventuallyAsync(() => mux.IsConnected, TimeSpan.FromSeconds(20)));
        // No snapshots, no append-only file: a crash loses everything, which is what a throwaway server wants.
        Assert.False(await mux.GetDatabase().KeyExistsAsync("volatile"));
        await mux.GetDatabase().StringSetAsync("after", "restart");
        Assert.Equal("restart", (string?)await mux.GetDatabase().StringGetAsync("after"));
    }

    [Fact]
    public async Task a_persistent_redis_keeps_its_data_after_a_kill()
    {
        var folder = Directory.CreateTempSubdirectory("dapr-redis-persistent-test-");
        try
        {
            var options = new RedisServerOptions { PersistentDataDirectory = folder.FullName, Port = FreePort.Next() };
            await using (var redis = await RedisServer.StartAsync(options))
            {
                await using (var mux = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString))
                {
                    // Redis writes the append-only file before it replies, so an acknowledged write survives SIGKILL.
                    await mux.GetDatabase().StringSetAsync("kept", "yes");
                }

                await redis.KillAsync();
                await redis.RestartAsync();

                await using var again = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
                Assert.Equal("yes", (string?)await again.GetDatabase().StringGetAsync("kept"));
            }

            Assert.True(Directory.Exists(Path.Combine(folder.FullName, "appendonlydir")));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task disposing_redis_removes_its_folder_and_closes_its_port()
    {
        var redis = await RedisServer.StartAsync();
        var folder = redis.DataDirectory;
        Assert.True(Directory.Exists(folder));

        await redis.DisposeAsync();

        Assert.False(Directory.Exists(folder));
        Assert.False(FreePort.IsListening(redis.Port));
    }

    [Fact]
    public async Task a_stopped_redis_restarts_on_the_same_port()
    {
        await using var redis = await RedisServer.StartAsync();
        var port = redis.Port;

        await redis.StopAsync();
        Assert.False(FreePort.IsListening(port));
        await redis.RestartAsync();

        Assert.True(FreePort.IsListening(port));
        await using var mux = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        await mux.GetDatabase().StringSetAsync("after", "restart");
        Assert.Equal("restart", (string?)await mux.GetDatabase().StringGetAsync("after"));
    }
}
