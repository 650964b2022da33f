namespace Dapr.Testing.Tests;

public sealed class ParallelStartTests
{
    [Fact]
    public async Task two_postgres_servers_started_in_parallel_get_different_ports_and_folders()
    {
        var started = await Task.WhenAll(PostgresServer.StartAsync(), PostgresServer.StartAsync());
        await using var first = started[0];
        await using var second = started[1];

        Assert.NotEqual(first.Port, second.Port);
        Assert.NotEqual(first.DataDirectory, second.DataDirectory);
        // Each answers as itself, not as the other.
        Assert.Equal(first.DataDirectory, await Sql.ScalarAsync<string>(first.ConnectionString, "SHOW data_directory"));
        Assert.Equal(second.DataDirectory, await Sql.ScalarAsync<string>(second.ConnectionString, "SHOW data_directory"));
    }

    [Fact]
    public async Task two_redis_servers_started_in_parallel_get_different_ports()
    {
        var started = await Task.WhenAll(RedisServer.StartAsync(), RedisServer.StartAsync());
        await using var first = started[0];
        await using var second = started[1];

        Assert.NotEqual(first.Port, second.Port);
        Assert.True(FreePort.IsListening(first.Port));
        Assert.True(FreePort.IsListening(second.Port));
    }

    [Fact]
    public void free_ports_handed_out_concurrently_are_all_different()
    {
        var ports = new System.Collections.Concurrent.ConcurrentBag<int>();

        Parallel.For(0, 200, _ => ports.Add(FreePort.Next()));

        Assert.Equal(200, ports.Distinct().Count());
        Assert.All(ports, port => Assert.InRange(port, 1024, 65535));
    }
}
