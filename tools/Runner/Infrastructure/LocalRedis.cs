using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Runner.Processes;

namespace Runner.Infrastructure;

/// <summary>
/// Makes sure Redis answers on the configured port: uses one that already listens, otherwise starts
/// a private one with append-only persistence in <c>.data/redis</c>.
/// </summary>
public sealed class LocalRedis(InfraSettings settings, Func<string, string?> getEnvironmentVariable, Action<string> onOutput, Action<string> onStatus)
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

    public static ProcessSpec ServerCommand(string redisServer, string dataDirectory, string host, int port) =>
        new("Redis", redisServer,
            ["--appendonly", "yes", "--dir", dataDirectory, "--bind", host, "--port", port.ToString(CultureInfo.InvariantCulture)]);

    /// <summary>Null when a server was already listening, so there is nothing of ours to stop later.</summary>
    public async Task<RunningServer?> EnsureRunningAsync(CancellationToken cancel)
    {
        var endpoint = $"{settings.Host}:{settings.RedisPort}";
        if (await TcpProbe.IsListeningAsync(settings.Host, settings.RedisPort, TimeSpan.FromSeconds(1), cancel))
        {
            onStatus($"Redis already listening on {endpoint}; using it");
            return null;
        }

        var program = getEnvironmentVariable("LOCAL_REDIS_SERVER") is { Length: > 0 } configured
            ? configured
            : ExecutableLocator.FindOnPath("redis-server")
              ?? throw new InfraException("redis-server is not installed (not on PATH); install it, set LOCAL_REDIS_SERVER, or use --no-infra");
        Directory.CreateDirectory(settings.RedisDataDirectory);

        onStatus($"Starting Redis on {endpoint} (data in {settings.RedisDataDirectory})");
        var server = ChildProcess.Start(ServerCommand(program, settings.RedisDataDirectory, settings.Host, settings.RedisPort), onOutput);
        var up = await TcpProbe.WaitUntilListeningAsync(settings.Host, settings.RedisPort, StartTimeout, () => server.HasExited, cancel);
        if (!up)
        {
            var reason = server.HasExited ? $"it exited with code {await server.Exited}" : $"it did not listen within {StartTimeout.TotalSeconds:0} s";
            server.Kill();
            throw new InfraException($"Redis did not start on {endpoint}: {reason} (its output is above, prefixed INFRA - redis)");
        }
        return new RunningServer("Redis", server, () => SendShutdown(server));
    }

    /// <summary>SHUTDOWN lets Redis flush its append-only file; if the command cannot be sent, SIGTERM does the same.</summary>
    private void SendShutdown(ChildProcess server)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(settings.Host, settings.RedisPort);
            client.GetStream().Write(Encoding.ASCII.GetBytes("*1\r\n$8\r\nSHUTDOWN\r\n"));
        }
        catch (SocketException e)
        {
            onStatus($"Redis: could not send SHUTDOWN ({e.Message}); sending SIGTERM instead");
            server.Signal(Posix.SigTerm);
        }
    }
}
