using System.Text.Json;
using System.Text.Json.Nodes;
using LocalSidecar.PubSub;
using LocalSidecar.Resiliency;
using Microsoft.Extensions.Logging;

namespace LocalSidecar.Subscriptions;

/// <summary>
/// What daprd does with each message of one running subscription (<c>pkg/runtime/subscription/subscription.go</c>):
/// read the event (or wrap a raw payload), drop it if expired, route it, deliver it under the component's inbound
/// resiliency policy, and on a final failure or a drop send the original bytes to the dead-letter topic and acknowledge.
/// Without a dead-letter topic the failure is thrown back to the broker, whose own rule decides (pubsub.redis 1.17+
/// acknowledges it unless the handler was cancelled). While the sidecar shuts down nothing is dead-lettered: the
/// handler gives up with <see cref="OperationCanceledException"/> so the broker keeps the message.
/// </summary>
public sealed class TopicSubscription
{
    public const string PubsubNameMetadataKey = "pubsubName";
    private static readonly TimeSpan DeadLetterPublishTimeout = TimeSpan.FromSeconds(30);

    private readonly SubscriptionDefinition _definition;
    private readonly SubscriptionRouter _router;
    private readonly ResiliencePolicy _policy;
    private readonly AppPostman _postman;
    private readonly Publisher _publisher;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly bool _rawPayload;
    private int _inFlight;
    private volatile bool _closing;

    public TopicSubscription(SubscriptionDefinition definition, ResiliencePolicy policy, AppPostman postman, Publisher publisher, ILogger logger, TimeProvider time)
    {
        _definition = definition;
        _router = new SubscriptionRouter(definition.Rules);
        _policy = policy;
        _postman = postman;
        _publisher = publisher;
        _logger = logger;
        _time = time;
        _rawPayload = MetadataFlags.IsRawPayload(definition.Metadata);
    }

    public SubscriptionDefinition Definition => _definition;

    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Stops taking new messages; those already being delivered finish (see <see cref="InFlight"/>).</summary>
    public void Close() => _closing = true;

    /// <summary>The broker's handler: returns when the message is done with, throws when the broker should treat it as failed.</summary>
    public async Task HandleAsync(PubSubMessage message, CancellationToken ct)
    {
        if (_closing)
        {
            throw new OperationCanceledException($"{_definition.Describe()} is closing; the message is left to the broker");
        }

        Interlocked.Increment(ref _inFlight);
        try
        {
            await HandleOpenAsync(message, ct).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private async Task HandleOpenAsync(PubSubMessage message, CancellationToken ct)
    {
        var metadata = new Dictionary<string, string>(message.Metadata, StringComparer.Ordinal)
        {
            [PubsubNameMetadataKey] = _definition.PubsubName,
        };

        JsonObject cloudEvent;
        byte[] body;
        if (_rawPayload)
        {
            cloudEvent = CloudEventEnvelope.FromRawPayload(message.Data, message.Topic, _definition.PubsubName, Guid.NewGuid());
            CopyTraceFromMetadata(cloudEvent, metadata, overwrite: true);
            body = JsonSerializer.SerializeToUtf8Bytes(cloudEvent);
        }
        else
        {
            try
            {
                cloudEvent = JsonNode.Parse(message.Data) as JsonObject
                    ?? throw new JsonException("the message is not a JSON object");
            }
            catch (JsonException e)
            {
                _logger.LogError(e, "Error deserializing cloud event of {Subscription} (broker id {BrokerId})", _definition.Describe(), message.BrokerMessageId);
                await DeadLetterOrThrowAsync(message, metadata, e, ct).ConfigureAwait(false);
                return;
            }

            CopyTraceFromMetadata(cloudEvent, metadata, overwrite: false);
            body = message.Data;
        }

        if (CloudEventEnvelope.HasExpired(cloudEvent, _time.GetUtcNow()))
        {
            _logger.LogWarning("Dropping expired pub/sub event {Id} of {Subscription} (expired at {Expiration})",
                cloudEvent[CloudEventEnvelope.Fields.Id], _definition.Describe(), cloudEvent[CloudEventEnvelope.Fields.Expiration]);
            await DeadLetterIfConfiguredAsync(message, metadata, ct).ConfigureAwait(false);
            return;
        }

        string? path;
        try
        {
            path = _router.SelectPath(cloudEvent);
        }
        catch (CelEvaluationException e)
        {
            _logger.LogError(e, "Error finding a matching route for event {Id} of {Subscription}", cloudEvent[CloudEventEnvelope.Fields.Id], _definition.Describe());
            await DeadLetterOrThrowAsync(message, metadata, e, ct).ConfigureAwait(false);
            return;
        }

        if (path is null)
        {
            _logger.LogDebug("No route matches event {Id} of {Subscription}; skipping it", cloudEvent[CloudEventEnvelope.Fields.Id], _definition.Describe());
            await DeadLetterIfConfiguredAsync(message, metadata, ct).ConfigureAwait(false);
            return;
        }

        var subscribed = new SubscribedMessage(_definition.PubsubName, message.Topic, path, cloudEvent, body, metadata);
        await DeliverAsync(message, subscribed, ct).ConfigureAwait(false);
    }

    private async Task DeliverAsync(PubSubMessage message, SubscribedMessage subscribed, CancellationToken ct)
    {
        try
        {
            await _policy.ExecuteAsync(async token =>
            {
                var answer = await _postman.DeliverAsync(subscribed, token).ConfigureAwait(false);
                if (answer.Kind == AppAnswerKind.Drop)
                {
                    // Inside the policy as in daprd: a dropped message is a handled one, not a failure to retry.
                    await DeadLetterIfConfiguredAsync(message, subscribed.Metadata, token).ConfigureAwait(false);
                }
            }, ct).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // A processing timeout of the broker lands here as a cancellation too; like daprd's DeadlineExceeded it still
            // goes to the dead-letter topic. Only shutdown leaves the message to the broker untouched.
            if (_closing)
            {
                throw new OperationCanceledException($"{_definition.Describe()} is closing; event {subscribed.EventId} is left to the broker", e);
            }

            _logger.LogWarning(e, "Delivering event {Id} of {Subscription} to POST /{Path} failed for good under policy {Policy}",
                subscribed.EventId, _definition.Describe(), subscribed.Path, _policy.Name);
            await DeadLetterOrThrowAsync(message, subscribed.Metadata, e, ct).ConfigureAwait(false);
        }
    }

    private async Task DeadLetterOrThrowAsync(PubSubMessage message, IReadOnlyDictionary<string, string> metadata, Exception failure, CancellationToken ct)
    {
        if (_definition.DeadLetterTopic is not null && await TryDeadLetterAsync(message, metadata, ct).ConfigureAwait(false))
        {
            return;
        }

        throw new MessageDeliveryException($"{_definition.Describe()}: the message (broker id {message.BrokerMessageId}) was not delivered: {failure.Message}", failure);
    }

    private async Task DeadLetterIfConfiguredAsync(PubSubMessage message, IReadOnlyDictionary<string, string> metadata, CancellationToken ct)
    {
        if (_definition.DeadLetterTopic is not null && !await TryDeadLetterAsync(message, metadata, ct).ConfigureAwait(false))
        {
            throw new MessageDeliveryException($"{_definition.Describe()}: a dropped message (broker id {message.BrokerMessageId}) could not be sent to dead-letter topic {_definition.DeadLetterTopic}");
        }
    }

    /// <summary>
    /// Publishes the bytes exactly as the broker delivered them to the dead-letter topic of the same component. Like
    /// daprd, the publish gets its own 30 s deadline, because the handler's time may be used up by the retries.
    /// </summary>
    private async Task<bool> TryDeadLetterAsync(PubSubMessage message, IReadOnlyDictionary<string, string> metadata, CancellationToken ct)
    {
        if (_closing)
        {
            return false;
        }

        using var publishTimeout = new CancellationTokenSource(DeadLetterPublishTimeout, _time);
        try
        {
            await _publisher.ForwardAsync(_definition.PubsubName, _definition.DeadLetterTopic!, message.Data, metadata, publishTimeout.Token).ConfigureAwait(false);
            _logger.LogInformation("Sent message (broker id {BrokerId}) of {Subscription} to dead-letter topic {DeadLetterTopic}",
                message.BrokerMessageId, _definition.Describe(), _definition.DeadLetterTopic);
            return true;
        }
        catch (Exception e) when (e is PubSubException or OperationCanceledException)
        {
            _logger.LogError(e, "Error sending message (broker id {BrokerId}) of {Subscription} to dead-letter topic {DeadLetterTopic}",
                message.BrokerMessageId, _definition.Describe(), _definition.DeadLetterTopic);
            return false;
        }
    }

    private static void CopyTraceFromMetadata(JsonObject cloudEvent, IReadOnlyDictionary<string, string> metadata, bool overwrite)
    {
        if ((overwrite || cloudEvent[CloudEventEnvelope.Fields.TraceId] is null) && metadata.TryGetValue(CloudEventEnvelope.Fields.TraceId, out var traceId))
        {
            cloudEvent[CloudEventEnvelope.Fields.TraceId] = traceId;
        }

        if ((overwrite || cloudEvent[CloudEventEnvelope.Fields.TraceParent] is null) && metadata.TryGetValue(CloudEventEnvelope.Fields.TraceParent, out var traceParent))
        {
            cloudEvent[CloudEventEnvelope.Fields.TraceParent] = traceParent;
            cloudEvent[CloudEventEnvelope.Fields.TraceId] = traceParent;
        }

        if ((overwrite || cloudEvent[CloudEventEnvelope.Fields.TraceState] is null) && metadata.TryGetValue(CloudEventEnvelope.Fields.TraceState, out var traceState))
        {
            cloudEvent[CloudEventEnvelope.Fields.TraceState] = traceState;
        }
    }
}

/// <summary>The message failed for good and there was no dead-letter topic to take it; the broker's rule decides what happens.</summary>
public sealed class MessageDeliveryException(string message, Exception? inner = null) : Exception(message, inner);
