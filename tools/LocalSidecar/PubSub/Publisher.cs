using System.Text.Json;
using LocalSidecar.Resiliency;
using Microsoft.Extensions.Logging;

namespace LocalSidecar.PubSub;

/// <summary>One event of a BulkPublishEvent request.</summary>
public sealed record BulkPublishEntry(string EntryId, ReadOnlyMemory<byte> Event, string? ContentType, IReadOnlyDictionary<string, string> Metadata);

/// <summary>An entry the broker did not take; the others were published.</summary>
public sealed record BulkPublishFailure(string EntryId, Exception Error);

/// <summary>
/// The publish half of daprd's pub/sub API: validates the target, wraps the payload in the CloudEvent daprd builds
/// (unless <c>rawPayload=true</c>), checks the component's topic rules and hands the bytes to the broker under the
/// component's outbound resiliency policy.
/// </summary>
public sealed class Publisher(PubSubRegistry registry, string appId, ResiliencyPolicies resiliency, TimeProvider time, ILogger<Publisher> logger)
{
    private static readonly IReadOnlyDictionary<string, string> NoMetadata = new Dictionary<string, string>();

    /// <exception cref="PubSubException">A refusal daprd would answer with the exception's <see cref="PubSubException.ErrorCode"/>.</exception>
    public async Task PublishAsync(
        string pubsubName,
        string topic,
        ReadOnlyMemory<byte> data,
        string? dataContentType,
        IReadOnlyDictionary<string, string> metadata,
        string? traceparent,
        string? tracestate,
        CancellationToken ct)
    {
        var component = Resolve(pubsubName, topic);
        var (payload, brokerMetadata) = Prepare(component, topic, data, dataContentType, metadata, traceparent, tracestate);
        await SendAsync(component, topic, payload, brokerMetadata, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Publishes every entry and reports those that failed. A request-level problem (unknown pubsub, empty or duplicate
    /// entry id, forbidden topic) throws before anything is sent, as daprd rejects the whole request then.
    /// </summary>
    public async Task<IReadOnlyList<BulkPublishFailure>> BulkPublishAsync(
        string pubsubName,
        string topic,
        IReadOnlyList<BulkPublishEntry> entries,
        IReadOnlyDictionary<string, string> metadata,
        string? traceparent,
        string? tracestate,
        CancellationToken ct)
    {
        var component = Resolve(pubsubName, topic);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            if (string.IsNullOrEmpty(entry.EntryId) || !seen.Add(entry.EntryId))
            {
                throw new CloudEventCreationException($"entryId is duplicated or not present for entry '{entry.EntryId}' of topic {topic}");
            }
        }

        var prepared = entries
            .Select(entry => (entry.EntryId, Message: Prepare(component, topic, entry.Event, entry.ContentType, Merge(metadata, entry.Metadata), traceparent, tracestate)))
            .ToList();

        var failures = new List<BulkPublishFailure>();
        foreach (var (entryId, (payload, brokerMetadata)) in prepared)
        {
            try
            {
                await SendAsync(component, topic, payload, brokerMetadata, ct).ConfigureAwait(false);
            }
            catch (PublishFailedException e)
            {
                logger.LogWarning(e, "Bulk publish to {Pubsub}/{Topic}: entry {EntryId} was not published", pubsubName, topic, entryId);
                failures.Add(new BulkPublishFailure(entryId, e));
            }
        }

        return failures;
    }

    /// <summary>Publishes bytes that are already an event (the dead-letter path), still subject to the topic rules.</summary>
    public Task ForwardAsync(string pubsubName, string topic, ReadOnlyMemory<byte> data, IReadOnlyDictionary<string, string> metadata, CancellationToken ct)
        => SendAsync(Resolve(pubsubName, topic), topic, data, metadata, ct);

    private PubSubComponent Resolve(string pubsubName, string topic)
    {
        if (string.IsNullOrEmpty(pubsubName))
        {
            throw new PubSubNameEmptyException();
        }

        var component = registry.TryGet(pubsubName, out var found) ? found : throw new PubSubNotFoundException(pubsubName);
        if (string.IsNullOrEmpty(topic))
        {
            throw new TopicNameEmptyException(pubsubName);
        }

        return component.Topics.CanPublish(topic) ? component : throw new TopicForbiddenException(pubsubName, topic, appId);
    }

    private (ReadOnlyMemory<byte> Payload, IReadOnlyDictionary<string, string> Metadata) Prepare(
        PubSubComponent component,
        string topic,
        ReadOnlyMemory<byte> data,
        string? dataContentType,
        IReadOnlyDictionary<string, string> metadata,
        string? traceparent,
        string? tracestate)
    {
        if (MetadataFlags.IsRawPayload(metadata))
        {
            // Without an envelope the trace context can only travel as broker metadata.
            var withTrace = new Dictionary<string, string>(metadata, StringComparer.Ordinal)
            {
                [CloudEventEnvelope.Fields.TraceId] = traceparent ?? string.Empty,
                [CloudEventEnvelope.Fields.TraceState] = tracestate ?? string.Empty,
            };
            return (data, withTrace);
        }

        var envelope = CloudEventEnvelope.Build(
            new CloudEventRequest(component.Name, topic, appId, data, dataContentType, metadata, traceparent, tracestate),
            time.GetUtcNow(),
            Guid.NewGuid);
        return (JsonSerializer.SerializeToUtf8Bytes(envelope), metadata.Count == 0 ? NoMetadata : metadata);
    }

    private async Task SendAsync(PubSubComponent component, string topic, ReadOnlyMemory<byte> payload, IReadOnlyDictionary<string, string> metadata, CancellationToken ct)
    {
        var policy = resiliency.ComponentOutbound(component.Name, ComponentKinds.Pubsub);
        try
        {
            await policy.ExecuteAsync(token => new ValueTask(component.Broker.PublishAsync(topic, payload, metadata, token)), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            logger.LogError(e, "Publishing to {Pubsub}/{Topic} failed", component.Name, topic);
            throw new PublishFailedException(component.Name, topic, e);
        }
    }

    private static IReadOnlyDictionary<string, string> Merge(IReadOnlyDictionary<string, string> request, IReadOnlyDictionary<string, string> entry)
    {
        if (entry.Count == 0)
        {
            return request;
        }

        var merged = new Dictionary<string, string>(request, StringComparer.Ordinal);
        foreach (var (key, value) in entry)
        {
            merged[key] = value;
        }

        return merged;
    }
}
