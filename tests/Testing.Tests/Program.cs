namespace Dapr.Testing.Tests;

/// <summary>
/// The test runner never calls this. ExitCleanupTests run this assembly as a separate "test process" that
/// starts servers and then dies badly, to see that it leaves nothing running behind.
/// </summary>
internal static class Program
{
    public const string ServeThenDie = "serve-then-die";

    public static async Task<int> Main(string[] args)
    {
        if (args is not [ServeThenDie, var how])
        {
            await Console.Error.WriteLineAsync($"usage: {ServeThenDie} throw|hang (this assembly is a test project)");
            return 2;
        }

        var pg = await PostgresServer.StartAsync();
        var redis = await RedisServer.StartAsync();
        Console.WriteLine($"postgres {pg.Port} {Processes.PostmasterPid(pg.DataDirectory)} {Path.GetDirectoryName(pg.DataDirectory)}");
        Console.WriteLine($"redis {redis.Port} {redis.DataDirectory}");
        Console.WriteLine("ready");
        Console.Out.Flush();

        if (how == "throw")
        {
            // An exception on a thread of its own, as a bug in a background loop would throw it.
            new Thread(() => throw new InvalidOperationException("deliberate crash with servers running")).Start();
        }

        // "hang": the parent test SIGKILLs us, and no code of ours runs any more.
        await Task.Delay(Timeout.Infinite);
        return 0;
    }
}
