using System.Text.Json;
using System.Threading.Channels;
using LocalSidecar.Components;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace LocalSidecar.PubSub.Redis;

/// <summary>
/// <c>pubsub.redis</c> with the Redis Streams layout and delivery rules of components-contrib (daprd ≥ 1.17):
/// <list type="bullet">
/// <item>stream key = topic; each publish is one XADD with field <c>data</c>, plus <c>metadata</c> (JSON) only when
/// the publish carried metadata; optional <c>MAXLEN ~</c> (maxLenApprox) or <c>MINID ~</c> (streamTTL) trimming;</item>
/// <item>consumer group = the subscriber's consumerID and consumer name = the same string, so every replica of an
/// app reads as one consumer; the group is created at id 0, so a new group first receives the whole stream;</item>
/// <item>one reader per subscription (XREADGROUP … COUNT queueDepth BLOCK) feeds a component-wide queue of depth
/// queueDepth drained by <c>concurrency</c> workers — with more than one worker, order is not kept;</item>
/// <item>the handler runs under processingTimeout; success → XACK; failure → XACK as well (1.17+: the sidecar's
/// resiliency decides retries), unless the handler was cancelled (timeout or shutdown): then the entry stays pending;</item>
/// <item>a reclaim loop (at subscribe, then every redeliverInterval) XCLAIMs entries idle ≥ processingTimeout and
/// runs them again — this is what redelivers after a crash or a hung handler.</item>
/// </list>
/// </summary>
public sealed class RedisStreamsPubSub : IPubSub
{
    private static readonly TimeSpan DefaultBlock = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan LoopErrorBackoff = TimeSpan.FromSeconds(1);

    private readonly ComponentDefinition _definition;
    private readonly RedisStreamsSettings _settings;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _closing = new();
    private readonly List<Task> _loops = [];
    private readonly Lock _loopsGate = new();
    private readonly Channel<PendingDelivery> _queue;
    private Task[] _workers = [];
    private ConnectionMultiplexer? _connection;
    private int _disposed;

    public RedisStreamsPubSub(ComponentDefinition definition, ILogger<RedisStreamsPubSub> logger, TimeProvider time)
    {
        _definition = definition;
        _settings = RedisStreamsSettings.Parse(definition);
        _logger = logger;
        _time = time;
        _queue = Channel.CreateBounded<PendingDelivery>(new BoundedChannelOptions(_settings.QueueDepth) { FullMode = BoundedChannelFullMode.Wait });
        if (_settings.MaxLenApprox is not null && _settings.StreamTtl is not null)
        {
            _logger.LogWarning("pubsub.redis {Component}: both maxLenApprox and streamTTL are set; only one trimming strategy is used (maxLenApprox)", definition.Name);
        }
    }

    public RedisStreamsSettings Settings => _settings;

    /// <summary>Count of read/reclaim loop failures that were logged and retried; lets tests and diagnostics see trouble.</summary>
    public int LoopFailures => _loopFailures;

    private int _loopFailures;

    public async Task InitAsync(CancellationToken cancellationToken)
    {
        _connection = await ConnectAsync(commandTimeout: _settings.WriteTimeout).ConfigureAwait(false);
        await PingAsync(cancellationToken).ConfigureAwait(false);
        _workers = Enumerable.Range(0, _settings.Concurrency).Select(_ => Task.Run(WorkAsync)).ToArray();
    }

    public async Task PingAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Database.PingAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RedisException e)
        {
            throw new InvalidOperationException($"pubsub.redis {_definition.Name}: error connecting to redis at {_settings.Host}:{_settings.Port}: {e.Message}", e);
        }
    }

    public async Task PublishAsync(string topic, ReadOnlyMemory<byte> data, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var fields = metadata.Count == 0
            ? new[] { new NameValueEntry("data", data.ToArray()) }
            : [new NameValueEntry("data", data.ToArray()), new NameValueEntry("metadata", JsonSerializer.Serialize(metadata))];

        var options = new StreamAddOptions();
        if (_settings.MaxLenApprox is { } maxLen)
        {
            options = new StreamAddOptions { MaxLength = maxLen, Approximate = true };
        }
        else if (_settings.StreamTtl is { } ttl)
        {
            var oldestKept = _time.GetUtcNow() - ttl;
            options = new StreamAddOptions { MinId = $"{oldestKept.ToUnixTimeMilliseconds()}-1", Approximate = true };
        }

        await Database.StreamAddAsync(topic, fields, options).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task SubscribeAsync(
        string topic,
        string consumerGroup,
        IReadOnlyDictionary<string, string> subscriptionMetadata,
        Func<PubSubMessage, CancellationToken, Task> handler,
        CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        await CreateGroupAsync(topic, consumerGroup).ConfigureAwait(false);

        var subscription = new Subscription(topic, consumerGroup, handler, CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing.Token));
        var reader = await ConnectAsync(commandTimeout: ReadBlock + TimeSpan.FromSeconds(10)).ConfigureAwait(false);

        // XREADGROUP BLOCK holds the reader's connection; closing it is the only way to end a blocked read at once.
        var closeReader = subscription.Cancellation.Token.Register(() => reader.Close(allowCommandsToComplete: false));
        lock (_loopsGate)
        {
            _loops.Add(Task.Run(async () =>
            {
                try
                {
                    await ReadLoopAsync(subscription, reader).ConfigureAwait(false);
                }
                finally
                {
                    await closeReader.DisposeAsync().ConfigureAwait(false);
                    await reader.DisposeAsync().ConfigureAwait(false);
                }
            }));
            _loops.Add(Task.Run(() => ReclaimLoopAsync(subscription)));
        }

        _logger.LogInformation("pubsub.redis {Component}: subscribed to stream {Topic} as consumer group {Group}", _definition.Name, topic, consumerGroup);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _closing.CancelAsync().ConfigureAwait(false);
        Task[] loops;
        lock (_loopsGate)
        {
            loops = [.. _loops];
        }

        await Task.WhenAll(loops).ConfigureAwait(false);
        _queue.Writer.TryComplete();
        await Task.WhenAll(_workers).ConfigureAwait(false);
        if (_connection is not null)
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
        }

        _closing.Dispose();
    }

    private IDatabase Database => (_connection ?? throw new InvalidOperationException($"pubsub.redis {_definition.Name} is not initialised")).GetDatabase(_settings.Database);

    private TimeSpan ReadBlock => _settings.ReadTimeout is { } t && t > TimeSpan.Zero ? t : DefaultBlock;

    private async Task<ConnectionMultiplexer> ConnectAsync(TimeSpan? commandTimeout)
    {
        var options = new ConfigurationOptions
        {
            EndPoints = { { _settings.Host, _settings.Port } },
            User = _settings.Username,
            Password = _settings.Password,
            DefaultDatabase = _settings.Database,
            Ssl = _settings.EnableTls,
            AbortOnConnectFail = true,
            Protocol = RedisProtocol.Resp2,
            ClientName = $"local-daprd-{_definition.Name}",
        };
        if (_settings.EnableTls && _settings.InsecureSkipTlsVerify)
        {
            options.CertificateValidation += (_, _, _, _) => true;
        }

        if (_settings.DialTimeout is { } dial)
        {
            options.ConnectTimeout = (int)dial.TotalMilliseconds;
        }

        if (commandTimeout is { } timeout)
        {
            options.AsyncTimeout = options.SyncTimeout = (int)Math.Min(int.MaxValue, timeout.TotalMilliseconds);
        }

        try
        {
            return await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
        }
        catch (RedisConnectionException e)
        {
            throw new InvalidOperationException($"pubsub.redis {_definition.Name}: error connecting to redis at {_settings.Host}:{_settings.Port}: {e.Message}", e);
        }
    }

    private async Task CreateGroupAsync(string topic, string group)
    {
        try
        {
            await Database.StreamCreateConsumerGroupAsync(topic, group, "0", createStream: true).ConfigureAwait(false);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
            // The group survives restarts; finding it is the normal case, not an error.
        }
    }

    private async Task ReadLoopAsync(Subscription subscription, ConnectionMultiplexer reader)
    {
        var token = subscription.Cancellation.Token;
        var blockMs = (long)ReadBlock.TotalMilliseconds;
        var db = reader.GetDatabase(_settings.Database);
        while (!token.IsCancellationRequested)
        {
            try
            {
                var result = await db.ExecuteAsync(
                    "XREADGROUP",
                    "GROUP", subscription.Group, subscription.Group,
                    "COUNT", _settings.QueueDepth,
                    "BLOCK", blockMs,
                    "STREAMS", subscription.Topic, ">").ConfigureAwait(false);

                foreach (var entry in ParseReadGroup(result))
                {
                    await _queue.Writer.WriteAsync(new PendingDelivery(subscription, entry.Id, ToMessage(subscription.Topic, entry.Id, entry.Fields)), token).ConfigureAwait(false);
                }
            }
            catch (Exception) when (token.IsCancellationRequested)
            {
                // Closing the reader aborts the blocked read; that failure is the expected way out.
                return;
            }
            catch (RedisServerException e) when (e.Message.StartsWith("NOGROUP", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _loopFailures);
                _logger.LogWarning("pubsub.redis {Component}: consumer group {Group} does not exist for stream {Topic} (data loss, or the group/stream was deleted); recreating it",
                    _definition.Name, subscription.Group, subscription.Topic);
                await RecreateGroupAsync(subscription, token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is RedisException or TimeoutException or InvalidOperationException)
            {
                Interlocked.Increment(ref _loopFailures);
                _logger.LogError(e, "pubsub.redis {Component}: error reading from stream {Topic}; retrying in {Delay}", _definition.Name, subscription.Topic, LoopErrorBackoff);
                await DelayQuietlyAsync(LoopErrorBackoff, token).ConfigureAwait(false);
            }
        }
    }

    private async Task RecreateGroupAsync(Subscription subscription, CancellationToken token)
    {
        try
        {
            await CreateGroupAsync(subscription.Topic, subscription.Group).ConfigureAwait(false);
        }
        catch (RedisException e)
        {
            Interlocked.Increment(ref _loopFailures);
            _logger.LogError(e, "pubsub.redis {Component}: recreating consumer group {Group} on stream {Topic} failed", _definition.Name, subscription.Group, subscription.Topic);
            await DelayQuietlyAsync(LoopErrorBackoff, token).ConfigureAwait(false);
        }
    }

    private async Task ReclaimLoopAsync(Subscription subscription)
    {
        if (!_settings.RedeliveryEnabled)
        {
            return;
        }

        var token = subscription.Cancellation.Token;
        using var timer = new PeriodicTimer(_settings.RedeliverInterval, _time);
        do
        {
            try
            {
                await ReclaimAsync(subscription, token).ConfigureAwait(false);
            }
            catch (Exception) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                Interlocked.Increment(ref _loopFailures);
                _logger.LogError(e, "pubsub.redis {Component}: reclaiming pending messages of stream {Topic} failed; trying again in {Interval}",
                    _definition.Name, subscription.Topic, _settings.RedeliverInterval);
            }
        }
        while (await WaitQuietlyAsync(timer, token).ConfigureAwait(false));
    }

    private async Task ReclaimAsync(Subscription subscription, CancellationToken token)
    {
        var minIdleMs = (long)_settings.ProcessingTimeout.TotalMilliseconds;
        while (!token.IsCancellationRequested)
        {
            var pending = await Database.StreamPendingMessagesAsync(subscription.Topic, subscription.Group, _settings.QueueDepth, RedisValue.Null, "-", "+").ConfigureAwait(false);
            var idle = pending.Where(p => p.IdleTimeInMilliseconds >= minIdleMs).Select(p => p.MessageId).ToArray();
            if (idle.Length == 0)
            {
                return;
            }

            var claimed = await Database.StreamClaimAsync(subscription.Topic, subscription.Group, subscription.Group, minIdleMs, idle).ConfigureAwait(false);
            foreach (var entry in claimed.Where(e => !e.IsNull))
            {
                _logger.LogInformation("pubsub.redis {Component}: redelivering message {Id} of stream {Topic}, pending for longer than processingTimeout {Timeout}",
                    _definition.Name, entry.Id, subscription.Topic, _settings.ProcessingTimeout);
                await _queue.Writer.WriteAsync(new PendingDelivery(subscription, entry.Id!, ToMessage(subscription.Topic, entry.Id!, entry.Values)), token).ConfigureAwait(false);
            }

            if (claimed.Any(e => e.IsNull))
            {
                await DropTrimmedAsync(subscription, idle.Except(claimed.Where(e => !e.IsNull).Select(e => e.Id)).ToArray(), minIdleMs, token).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Pending ids whose entries were trimmed away can never be delivered; claim them one by one and ack the gone ones.</summary>
    private async Task DropTrimmedAsync(Subscription subscription, RedisValue[] ids, long minIdleMs, CancellationToken token)
    {
        foreach (var id in ids)
        {
            var single = await Database.StreamClaimAsync(subscription.Topic, subscription.Group, subscription.Group, minIdleMs, [id]).ConfigureAwait(false);
            if (single.Length == 1 && single[0].IsNull)
            {
                await Database.StreamAcknowledgeAsync(subscription.Topic, subscription.Group, id).ConfigureAwait(false);
                _logger.LogWarning("pubsub.redis {Component}: pending message {Id} of stream {Topic} no longer exists (trimmed); removed it from the pending list",
                    _definition.Name, id, subscription.Topic);
            }
            else
            {
                foreach (var entry in single.Where(e => !e.IsNull))
                {
                    await _queue.Writer.WriteAsync(new PendingDelivery(subscription, entry.Id!, ToMessage(subscription.Topic, entry.Id!, entry.Values)), token).ConfigureAwait(false);
                }
            }
        }
    }

    private async Task WorkAsync()
    {
        try
        {
            await foreach (var delivery in _queue.Reader.ReadAllAsync(_closing.Token).ConfigureAwait(false))
            {
                await ProcessAsync(delivery).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_closing.IsCancellationRequested)
        {
            // Deliveries still queued stay pending in Redis and come back through the reclaim loop of the next subscriber.
        }
    }

    private async Task ProcessAsync(PendingDelivery delivery)
    {
        var subscription = delivery.Subscription;
        if (subscription.Cancellation.IsCancellationRequested)
        {
            return;
        }

        using var handlerScope = CancellationTokenSource.CreateLinkedTokenSource(subscription.Cancellation.Token);
        if (_settings.RedeliveryEnabled)
        {
            handlerScope.CancelAfter(_settings.ProcessingTimeout);
        }

        try
        {
            await subscription.Handler(delivery.Message, handlerScope.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (handlerScope.IsCancellationRequested)
        {
            _logger.LogWarning(e, "pubsub.redis {Component}: handling message {Id} of stream {Topic} was cancelled (processingTimeout {Timeout} or shutdown); it stays pending for redelivery",
                _definition.Name, delivery.Id, subscription.Topic, _settings.ProcessingTimeout);
            return;
        }
        catch (Exception e)
        {
            // Since components-contrib 1.17 a failed message is acknowledged too: retries are the sidecar's resiliency policy's job.
            _logger.LogError(e, "pubsub.redis {Component}: error processing message {Id} of stream {Topic}; acknowledging it (daprd ≥ 1.17 rule)",
                _definition.Name, delivery.Id, subscription.Topic);
        }

        await AcknowledgeAsync(subscription, delivery.Id).ConfigureAwait(false);
    }

    private async Task AcknowledgeAsync(Subscription subscription, RedisValue id)
    {
        try
        {
            await Database.StreamAcknowledgeAsync(subscription.Topic, subscription.Group, id).ConfigureAwait(false);
        }
        catch (RedisException e)
        {
            // Not fatal: the entry stays pending and the reclaim loop delivers it again later.
            Interlocked.Increment(ref _loopFailures);
            _logger.LogError(e, "pubsub.redis {Component}: error acknowledging message {Id} of stream {Topic}", _definition.Name, id, subscription.Topic);
        }
    }

    private PubSubMessage ToMessage(string topic, RedisValue id, IEnumerable<NameValueEntry> fields)
    {
        byte[] data = [];
        IReadOnlyDictionary<string, string> metadata = new Dictionary<string, string>();
        foreach (var field in fields)
        {
            if (field.Name == "data")
            {
                data = (byte[]?)field.Value ?? [];
            }
            else if (field.Name == "metadata" && field.Value.HasValue)
            {
                try
                {
                    metadata = JsonSerializer.Deserialize<Dictionary<string, string>>(field.Value.ToString()) ?? metadata;
                }
                catch (JsonException e)
                {
                    _logger.LogWarning(e, "pubsub.redis {Component}: could not read the metadata of message {Id} of stream {Topic}; delivering it without", _definition.Name, id, topic);
                }
            }
        }

        return new PubSubMessage(topic, data, metadata, id.ToString());
    }

    private static IEnumerable<(RedisValue Id, NameValueEntry[] Fields)> ParseReadGroup(RedisResult result)
    {
        if (result.IsNull || result.Resp2Type != ResultType.Array)
        {
            yield break;
        }

        foreach (var stream in (RedisResult[])result!)
        {
            var parts = (RedisResult[])stream!;
            foreach (var entry in (RedisResult[])parts[1]!)
            {
                var idAndFields = (RedisResult[])entry!;
                var flat = idAndFields[1].IsNull ? [] : (RedisValue[])idAndFields[1]!;
                var fields = new NameValueEntry[flat.Length / 2];
                for (var i = 0; i < fields.Length; i++)
                {
                    fields[i] = new NameValueEntry(flat[2 * i], flat[(2 * i) + 1]);
                }

                yield return ((RedisValue)idAndFields[0], fields);
            }
        }
    }

    private static async Task DelayQuietlyAsync(TimeSpan delay, CancellationToken token)
    {
        try
        {
            await Task.Delay(delay, token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // The loop checks the token next and ends.
        }
    }

    private static async Task<bool> WaitQuietlyAsync(PeriodicTimer timer, CancellationToken token)
    {
        try
        {
            return await timer.WaitForNextTickAsync(token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            return false;
        }
    }

    private sealed record Subscription(string Topic, string Group, Func<PubSubMessage, CancellationToken, Task> Handler, CancellationTokenSource Cancellation);

    private sealed record PendingDelivery(Subscription Subscription, RedisValue Id, PubSubMessage Message);
}
