using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using LocalSidecar.PubSub;
using Microsoft.Extensions.Logging;
using OpenTelemetry;

namespace LocalSidecar.Subscriptions;

/// <summary>A message ready for the app: the event used for routing and the exact bytes to POST.</summary>
public sealed record SubscribedMessage(
    string PubsubName,
    string Topic,
    string Path,
    JsonObject CloudEvent,
    byte[] Body,
    IReadOnlyDictionary<string, string> Metadata)
{
    public string EventId => CloudEvent[CloudEventEnvelope.Fields.Id]?.ToString() ?? "(no id)";
}

/// <summary>
/// Delivers one message as daprd's HTTP postman does: <c>POST {app}/{path}</c>, body as is with
/// <c>Content-Type: application/cloudevents+json</c>, <c>traceparent</c>/<c>tracestate</c> from the event, the broker's
/// message metadata as headers, and <c>dapr-api-token</c> when the sidecar has <c>APP_API_TOKEN</c>.
/// </summary>
public sealed class AppPostman(AppChannel channel, ILogger logger)
{
    /// <summary>The ActivitySource of delivery spans; add it to the tracer to see them.</summary>
    public const string ActivitySourceName = "LocalSidecar.PubSub";

    private static readonly ActivitySource Source = new(ActivitySourceName);

    // Headers the request sets itself; metadata must not override them.
    private static readonly HashSet<string> ReservedHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "content-type", "content-length", "host", "transfer-encoding", "connection", "traceparent", "tracestate", "traceid",
        AppChannel.ApiTokenHeader,
    };

    /// <returns>The answer when it is a success or a drop.</returns>
    /// <exception cref="AppDeliveryException">The answer asks for a retry, or the app could not be reached.</exception>
    public async Task<AppAnswer> DeliverAsync(SubscribedMessage message, CancellationToken ct)
    {
        using var request = channel.CreateRequest(HttpMethod.Post, message.Path);
        request.Content = new ByteArrayContent(message.Body);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(ContentTypes.CloudEvent);
        foreach (var (name, value) in message.Metadata)
        {
            if (!ReservedHeaders.Contains(name))
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }

        using var span = StartDeliverySpan(message);
        var (traceParent, traceState) = span is not null
            ? (span.Id, span.TraceStateString)
            : (TraceField(message.CloudEvent, CloudEventEnvelope.Fields.TraceParent) ?? TraceField(message.CloudEvent, CloudEventEnvelope.Fields.TraceId),
               TraceField(message.CloudEvent, CloudEventEnvelope.Fields.TraceState));
        if (traceParent is not null)
        {
            request.Headers.TryAddWithoutValidation("traceparent", traceParent);
            if (traceState is not null)
            {
                request.Headers.TryAddWithoutValidation("tracestate", traceState);
            }
        }

        HttpResponseMessage response;
        try
        {
            // Without a delivery span, HttpClient instrumentation that some host in this process registered would start a
            // root activity for the call and write its own traceparent over the event's (OpenTelemetry's propagator
            // replaces the header): the app would see a new trace. The sidecar writes the trace headers itself.
            using var untraced = span is null ? SuppressInstrumentationScope.Begin() : null;
            response = await channel.SendAsync(request, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new AppDeliveryException($"error returned from app channel while sending pub/sub event {message.EventId} to app: {e.Message}", null, e);
        }

        using (response)
        {
            var body = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
            var answer = AppAnswer.Read((int)response.StatusCode, body);
            switch (answer.Kind)
            {
                case AppAnswerKind.Success:
                    return answer;
                case AppAnswerKind.Drop when answer.StatusCode == 404:
                    logger.LogError("Non-retriable error returned from app while processing pub/sub event {Id} on {Pubsub}/{Topic} (POST /{Path}): 404. Body: {Body}",
                        message.EventId, message.PubsubName, message.Topic, message.Path, System.Text.Encoding.UTF8.GetString(body));
                    return answer;
                case AppAnswerKind.Drop:
                    logger.LogWarning("DROP status returned from app while processing pub/sub event {Id} on {Pubsub}/{Topic}", message.EventId, message.PubsubName, message.Topic);
                    return answer;
                default:
                    logger.LogWarning("Retriable answer from app for pub/sub event {Id} on {Pubsub}/{Topic}: {Reason}. Body: {Body}",
                        message.EventId, message.PubsubName, message.Topic, answer.Reason, System.Text.Encoding.UTF8.GetString(body));
                    throw new AppDeliveryException(
                        $"{answer.Reason} while processing pub/sub event {message.EventId} of topic {message.Topic}",
                        answer.StatusCode is >= 200 and <= 299 ? null : answer.StatusCode);
            }
        }
    }

    /// <summary>
    /// daprd's "pubsub/{topic}" callback span, a child of the trace the event carries. It exists only when someone
    /// listens to <see cref="ActivitySourceName"/>; otherwise the event's own trace context is passed on unchanged.
    /// </summary>
    private static Activity? StartDeliverySpan(SubscribedMessage message)
    {
        var traceParent = TraceField(message.CloudEvent, CloudEventEnvelope.Fields.TraceParent) ?? TraceField(message.CloudEvent, CloudEventEnvelope.Fields.TraceId);
        var parent = traceParent is not null && ActivityContext.TryParse(traceParent, TraceField(message.CloudEvent, CloudEventEnvelope.Fields.TraceState), out var context)
            ? context
            : default;
        var span = Source.StartActivity($"pubsub/{message.Topic}", ActivityKind.Consumer, parent);
        span?.SetTag("messaging.system", "dapr");
        span?.SetTag("messaging.destination.name", message.Topic);
        span?.SetTag("messaging.message.id", message.EventId);
        return span;
    }

    private static string? TraceField(JsonObject cloudEvent, string field)
        => cloudEvent[field] is JsonValue value && value.TryGetValue<string>(out var text) && text.Length > 0 ? text : null;
}
