namespace LocalSidecar.PubSub;

/// <summary>
/// A publish the API layer must refuse. <see cref="ErrorCode"/> is the errorCode daprd returns for the same case, so the
/// HTTP and gRPC front ends only choose the status code.
/// </summary>
public abstract class PubSubException(string errorCode, string message, Exception? inner = null) : Exception(message, inner)
{
    public string ErrorCode { get; } = errorCode;
}

public sealed class PubSubNameEmptyException()
    : PubSubException("ERR_PUBSUB_EMPTY", "pubsub name is empty");

public sealed class TopicNameEmptyException(string pubsubName)
    : PubSubException("ERR_TOPIC_NAME_EMPTY", $"topic is empty in pubsub {pubsubName}");

public sealed class PubSubNotFoundException(string pubsubName)
    : PubSubException("ERR_PUBSUB_NOT_FOUND", $"pubsub {pubsubName} not found")
{
    public string PubsubName { get; } = pubsubName;
}

public sealed class TopicForbiddenException(string pubsubName, string topic, string appId)
    : PubSubException("ERR_PUBSUB_FORBIDDEN", $"topic {topic} is not allowed for app id {appId} on pubsub {pubsubName}");

public sealed class CloudEventCreationException(string message, Exception? inner = null)
    : PubSubException("ERR_PUBSUB_CLOUD_EVENTS_SER", message, inner);

public sealed class PublishFailedException(string pubsubName, string topic, Exception inner)
    : PubSubException("ERR_PUBSUB_PUBLISH_MESSAGE", $"error when publishing to topic {topic} in pubsub {pubsubName}: {inner.Message}", inner);
