namespace LocalSidecar.PubSub;

/// <summary>
/// A broker as daprd sees one (components-contrib <c>pubsub.PubSub</c>). The sidecar builds the CloudEvent
/// before <see cref="PublishAsync"/>; the component only moves bytes. A handler that throws has failed:
/// what happens to the message then is the component's own rule (see each implementation).
/// </summary>
public interface IPubSub : IAsyncDisposable
{
    Task InitAsync(CancellationToken cancellationToken);

    Task PublishAsync(string topic, ReadOnlyMemory<byte> data, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken);

    /// <summary>
    /// Starts delivering messages of <paramref name="topic"/> to <paramref name="handler"/> until
    /// <paramref name="cancellationToken"/> is cancelled. <paramref name="consumerGroup"/> is the component's
    /// consumerID (the app id by default) so that every replica of an app competes for the same messages.
    /// </summary>
    Task SubscribeAsync(
        string topic,
        string consumerGroup,
        IReadOnlyDictionary<string, string> subscriptionMetadata,
        Func<PubSubMessage, CancellationToken, Task> handler,
        CancellationToken cancellationToken);

    Task PingAsync(CancellationToken cancellationToken);
}

public sealed record PubSubMessage(string Topic, byte[] Data, IReadOnlyDictionary<string, string> Metadata, string? BrokerMessageId = null);
