using System.Diagnostics;
using System.Text.Json;
using Benchmarks.Platform;
using StackExchange.Redis;

namespace Benchmarks.Scenarios;

/// <summary>
/// The direct baseline's broker clients, shaped like the sidecar's <c>pubsub.redis</c> component: a RESP2 connection
/// for XADD and XACK (<see cref="Writer"/>), and a consumer group on <see cref="PublishScenario.DirectStream"/> read by
/// one loop of XREADGROUP … COUNT 100 BLOCK 1000 on a connection of its own (a blocked read holds its connection),
/// parsing each entry's JSON and acknowledging each batch with XACK.
/// </summary>
public sealed class DirectStreamConsumer : IAsyncDisposable
{
    private const int BatchSize = 100;
    private const int BlockMilliseconds = 1000;
    private readonly ConnectionMultiplexer _reader;
    private readonly ConnectionMultiplexer _writer;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private DirectStreamConsumer(ConnectionMultiplexer reader, ConnectionMultiplexer writer)
    {
        _reader = reader;
        _writer = writer;
        Writer = writer.GetDatabase();
        _loop = Task.Run(ReadLoopAsync);
    }

    /// <summary>Where the direct path publishes (XADD) and the loop acknowledges (XACK).</summary>
    public IDatabase Writer { get; }

    public DeliveryTracker Deliveries { get; } = new();

    public static async Task<DirectStreamConsumer> StartAsync(PlatformEnvironment env, CancellationToken ct)
    {
        var writer = await ConnectAsync(env, "bench-direct-pubsub", commandTimeout: null, ct).ConfigureAwait(false);
        try
        {
            var db = writer.GetDatabase();
            if (!await db.KeyExistsAsync(PublishScenario.DirectStream).ConfigureAwait(false))
            {
                await db.StreamCreateConsumerGroupAsync(PublishScenario.DirectStream, PublishScenario.DirectGroup, "$", createStream: true).WaitAsync(ct).ConfigureAwait(false);
            }

            // The blocked read must not time out on the client before the server's BLOCK does.
            var reader = await ConnectAsync(env, "bench-direct-reader", BlockMilliseconds + 10_000, ct).ConfigureAwait(false);
            return new DirectStreamConsumer(reader, writer);
        }
        catch
        {
            await writer.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task<ConnectionMultiplexer> ConnectAsync(PlatformEnvironment env, string name, int? commandTimeout, CancellationToken ct)
    {
        var options = new ConfigurationOptions
        {
            EndPoints = { { env.Redis.Host, env.Redis.Port } },
            AbortOnConnectFail = true,
            ClientName = name,
            // As the sidecar's pubsub.redis connections.
            Protocol = RedisProtocol.Resp2,
        };
        if (commandTimeout is { } timeout)
        {
            options.AsyncTimeout = options.SyncTimeout = timeout;
        }

        return await ConnectionMultiplexer.ConnectAsync(options).WaitAsync(ct).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        // Closing the connection is the only way to end a blocked XREADGROUP at once.
        await _reader.CloseAsync(allowCommandsToComplete: false).ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        finally
        {
            await _reader.DisposeAsync().ConfigureAwait(false);
            await _writer.DisposeAsync().ConfigureAwait(false);
            _stop.Dispose();
        }
    }

    private async Task ReadLoopAsync()
    {
        var db = _reader.GetDatabase();
        Task? pendingAck = null;
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var result = await db.ExecuteAsync("XREADGROUP",
                    "GROUP", PublishScenario.DirectGroup, PublishScenario.DirectGroup,
                    "COUNT", BatchSize, "BLOCK", BlockMilliseconds,
                    "STREAMS", PublishScenario.DirectStream, ">").ConfigureAwait(false);
                if (result.IsNull)
                {
                    continue; // BLOCK ran out with nothing new
                }

                var ids = new List<RedisValue>();
                foreach (var stream in (RedisResult[])result!)
                {
                    foreach (var entry in (RedisResult[])((RedisResult[])stream!)[1]!)
                    {
                        var idAndFields = (RedisResult[])entry!;
                        var fields = (RedisValue[])idAndFields[1]!;
                        for (var i = 0; i + 1 < fields.Length; i += 2)
                        {
                            if (fields[i] == "data")
                            {
                                using var json = JsonDocument.Parse((byte[])fields[i + 1]!);
                                Deliveries.Arrived(json.RootElement.GetProperty("seq").GetInt64(), Stopwatch.GetTimestamp());
                            }
                        }

                        ids.Add((RedisValue)idAndFields[0]);
                    }
                }

                // One XACK in flight at a time, overlapping the next read as the component's workers ack beside its reader.
                if (pendingAck is not null)
                {
                    await pendingAck.ConfigureAwait(false);
                }

                pendingAck = ids.Count == 0 ? null : Writer.StreamAcknowledgeAsync(PublishScenario.DirectStream, PublishScenario.DirectGroup, ids.ToArray());
            }
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
            // Closing the reader aborted the blocked read: the expected way out.
        }
        catch (Exception e)
        {
            Deliveries.Fail(new InvalidOperationException($"the direct stream consumer failed: {e.Message}", e));
            throw;
        }

        if (pendingAck is not null)
        {
            await pendingAck.ConfigureAwait(false);
        }
    }
}
