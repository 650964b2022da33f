using System.Threading.Channels;
using LocalSidecar.Components;
using Microsoft.Extensions.Logging;

namespace LocalSidecar.PubSub.InMemory;

/// <summary>
/// <c>pubsub.in-memory</c> (components-contrib <c>pubsub/in-memory</c>): an event bus inside this one sidecar process,
/// so it never carries messages between apps. Every subscription to a topic gets every message, one at a time in publish
/// order. A failing handler is tried again up to <see cref="Attempts"/> times, <see cref="AttemptDelay"/> apart, and the
/// message is then dropped with only a log line: nothing is stored, so nothing survives a restart. As in contrib, the
/// message carries the subscription's metadata, not the publisher's.
/// </summary>
public sealed class InMemoryPubSub : IPubSub
{
    // components-contrib's in-memory bus retries in its own loop ("allowed because it is backed by memory").
    public const int Attempts = 10;
    public static readonly TimeSpan AttemptDelay = TimeSpan.FromMilliseconds(100);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, List<Subscriber>> _subscribers = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _closing = new();
    private readonly ComponentDefinition _definition;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private int _disposed;

    public InMemoryPubSub(ComponentDefinition definition, ILogger<InMemoryPubSub> logger, TimeProvider time)
    {
        foreach (var name in definition.Metadata.All.Keys)
        {
            if (!TopicAccessPolicy.MetadataNames.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                throw definition.Metadata.Invalid(name, "is not a pubsub.in-memory metadata field (it has none of its own)");
            }
        }

        _definition = definition;
        _logger = logger;
        _time = time;
    }

    public Task InitAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task PingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task PublishAsync(string topic, ReadOnlyMemory<byte> data, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        Subscriber[] targets;
        lock (_gate)
        {
            targets = _subscribers.TryGetValue(topic, out var list) ? [.. list] : [];
        }

        var copy = data.ToArray();
        foreach (var target in targets)
        {
            // Unbounded per-subscriber queues: publishing never waits for a slow subscriber, as with contrib's async bus.
            target.Queue.Writer.TryWrite(copy);
        }

        return Task.CompletedTask;
    }

    public Task SubscribeAsync(
        string topic,
        string consumerGroup,
        IReadOnlyDictionary<string, string> subscriptionMetadata,
        Func<PubSubMessage, CancellationToken, Task> handler,
        CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var cancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing.Token);
        var subscriber = new Subscriber(topic, Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true }), cancellation);
        lock (_gate)
        {
            if (!_subscribers.TryGetValue(topic, out var list))
            {
                _subscribers[topic] = list = [];
            }

            list.Add(subscriber);
        }

        subscriber.Pump = Task.Run(() => PumpAsync(subscriber, subscriptionMetadata, handler));
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _closing.CancelAsync().ConfigureAwait(false);
        Subscriber[] all;
        lock (_gate)
        {
            all = _subscribers.Values.SelectMany(s => s).ToArray();
        }

        await Task.WhenAll(all.Select(s => s.Pump ?? Task.CompletedTask)).ConfigureAwait(false);
        _closing.Dispose();
    }

    private async Task PumpAsync(Subscriber subscriber, IReadOnlyDictionary<string, string> metadata, Func<PubSubMessage, CancellationToken, Task> handler)
    {
        var token = subscriber.Cancellation.Token;
        try
        {
            await foreach (var data in subscriber.Queue.Reader.ReadAllAsync(token).ConfigureAwait(false))
            {
                await DeliverAsync(subscriber.Topic, data, metadata, handler, token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Unsubscribed or closing: queued messages are lost, as they are in contrib's in-memory bus.
        }
        finally
        {
            lock (_gate)
            {
                _subscribers[subscriber.Topic].Remove(subscriber);
            }

            subscriber.Cancellation.Dispose();
        }
    }

    private async Task DeliverAsync(string topic, byte[] data, IReadOnlyDictionary<string, string> metadata, Func<PubSubMessage, CancellationToken, Task> handler, CancellationToken token)
    {
        for (var attempt = 1; attempt <= Attempts; attempt++)
        {
            try
            {
                await handler(new PubSubMessage(topic, data, metadata), token).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (!token.IsCancellationRequested)
            {
                _logger.LogError(e, "pubsub.in-memory {Component}: handler for topic {Topic} failed (attempt {Attempt} of {Attempts})", _definition.Name, topic, attempt, Attempts);
            }

            if (attempt < Attempts)
            {
                await Task.Delay(AttemptDelay, _time, token).ConfigureAwait(false);
            }
        }

        _logger.LogError("pubsub.in-memory {Component}: giving up on a message of topic {Topic} after {Attempts} attempts; it is dropped", _definition.Name, topic, Attempts);
    }

    private sealed class Subscriber(string topic, Channel<byte[]> queue, CancellationTokenSource cancellation)
    {
        public string Topic { get; } = topic;

        public Channel<byte[]> Queue { get; } = queue;

        public CancellationTokenSource Cancellation { get; } = cancellation;

        public Task? Pump { get; set; }
    }
}
