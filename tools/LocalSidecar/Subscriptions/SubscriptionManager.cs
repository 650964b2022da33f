using LocalSidecar.PubSub;
using LocalSidecar.Resiliency;
using Microsoft.Extensions.Logging;

namespace LocalSidecar.Subscriptions;

/// <summary>Who this sidecar is and how it reaches its app; <see cref="AppChannel"/> null means the app has no port, so nothing is subscribed.</summary>
public sealed record SubscriptionManagerOptions(string AppId, AppChannelOptions? AppChannel, string? Namespace = null, string? PodName = null)
{
    /// <summary>How long <see cref="SubscriptionManager.StopAsync"/> lets deliveries in progress finish before cancelling them.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// Starts and stops every subscription of the app: the declarative ones that apply to it, plus what the app returns
/// from <c>GET /dapr/subscribe</c> once its port accepts connections. Each subscription joins its component's consumer
/// group and delivers through a <see cref="TopicSubscription"/>. Stopping first drains deliveries in progress, then
/// cancels: messages not yet handled stay with the broker.
/// </summary>
public sealed class SubscriptionManager : IAsyncDisposable
{
    private readonly SubscriptionManagerOptions _options;
    private readonly PubSubRegistry _pubsubs;
    private readonly Publisher _publisher;
    private readonly IReadOnlyList<SubscriptionDefinition> _declarative;
    private readonly ResiliencyPolicies _resiliency;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<TopicSubscription> _running = [];
    private readonly Lock _gate = new();
    private AppChannel? _channel;
    private int _stopped;

    public SubscriptionManager(
        SubscriptionManagerOptions options,
        PubSubRegistry pubsubs,
        Publisher publisher,
        IReadOnlyList<SubscriptionDefinition> declarative,
        ResiliencyPolicies resiliency,
        ILoggerFactory loggers,
        TimeProvider time)
    {
        _options = options;
        _pubsubs = pubsubs;
        _publisher = publisher;
        _declarative = declarative;
        _resiliency = resiliency;
        _loggers = loggers;
        _logger = loggers.CreateLogger<SubscriptionManager>();
        _time = time;
    }

    /// <summary>The subscriptions that are running, for the metadata API.</summary>
    public IReadOnlyList<SubscriptionDefinition> Active
    {
        get
        {
            lock (_gate)
            {
                return _running.Select(s => s.Definition).ToList();
            }
        }
    }

    /// <exception cref="SubscriptionDiscoveryException">The app's subscription list could not be read or understood.</exception>
    /// <exception cref="NotSupportedException">A subscription asks for bulk delivery, which the local sidecar does not implement.</exception>
    public async Task StartAsync(CancellationToken ct)
    {
        if (_options.AppChannel is null)
        {
            _logger.LogInformation("No app port is configured, so no subscriptions are started");
            return;
        }

        _channel = new AppChannel(_options.AppChannel);
        var listening = await _channel.WaitUntilListeningAsync(_time, _logger, ct).ConfigureAwait(false);
        IReadOnlyList<SubscriptionDefinition> programmatic;
        try
        {
            programmatic = await new ProgrammaticSubscriptions(_channel, _options.AppId, _logger, _time).FetchAsync(ct).ConfigureAwait(false);
        }
        catch (SubscriptionDiscoveryException e) when (!listening)
        {
            // The app never came up: keep the sidecar (and its declarative subscriptions) running rather than failing start-up.
            _logger.LogError(e, "The app at {Address} is not reachable, so it has no programmatic subscriptions; only declarative ones are started", _channel.BaseAddress);
            programmatic = [];
        }

        var postman = new AppPostman(_channel, _loggers.CreateLogger<AppPostman>());
        foreach (var definition in Select(_declarative.Where(d => d.AppliesTo(_options.AppId)).Concat(programmatic)))
        {
            await StartOneAsync(definition, postman, ct).ConfigureAwait(false);
        }
    }

    public async Task StopAsync(CancellationToken ct)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        TopicSubscription[] running;
        lock (_gate)
        {
            running = [.. _running];
        }

        foreach (var subscription in running)
        {
            subscription.Close();
        }

        using var drain = CancellationTokenSource.CreateLinkedTokenSource(ct);
        drain.CancelAfter(_options.DrainTimeout);
        while (running.Any(s => s.InFlight > 0) && !drain.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20), _time, CancellationToken.None).ConfigureAwait(false);
        }

        if (running.Any(s => s.InFlight > 0))
        {
            _logger.LogWarning("Deliveries were still running when the drain ended; cancelling them, so the broker keeps those messages");
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        lock (_gate)
        {
            _running.Clear();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _channel?.Dispose();
        _stopping.Dispose();
    }

    /// <summary>Drops subscriptions with no route and second subscriptions to a pubsub/topic pair (the first one declared wins).</summary>
    private IEnumerable<SubscriptionDefinition> Select(IEnumerable<SubscriptionDefinition> candidates)
    {
        var seen = new HashSet<(string, string)>();
        foreach (var definition in candidates)
        {
            if (definition.Rules.Count == 0)
            {
                _logger.LogWarning("Topic {Topic} has no routes in {Subscription}; removing it from the subscriptions", definition.Topic, definition.Describe());
                continue;
            }

            if (!seen.Add((definition.PubsubName, definition.Topic)))
            {
                _logger.LogWarning("{Subscription} repeats a pubsub/topic pair that is already subscribed; ignoring it", definition.Describe());
                continue;
            }

            yield return definition;
        }
    }

    private async Task StartOneAsync(SubscriptionDefinition definition, AppPostman postman, CancellationToken ct)
    {
        if (!_pubsubs.TryGet(definition.PubsubName, out var component))
        {
            _logger.LogError("{Subscription}: pubsub '{Pubsub}' is not loaded, so it is not started", definition.Describe(), definition.PubsubName);
            return;
        }

        if (!component.Topics.CanSubscribe(definition.Topic))
        {
            _logger.LogWarning("{Subscription}: subscribing to topic '{Topic}' is not allowed for app {AppId} by the component's topic scopes", definition.Describe(), definition.Topic, _options.AppId);
            return;
        }

        if (definition.BulkSubscribe is { Enabled: true })
        {
            throw new NotSupportedException($"{definition.Describe()} enables bulkSubscribe, which the local sidecar does not support; disable it to run locally");
        }

        var group = ConsumerGroupName.Resolve(component.Definition, _options.AppId, _options.Namespace, _options.PodName);
        var subscription = new TopicSubscription(
            definition,
            _resiliency.ComponentInbound(component.Name, ComponentKinds.Pubsub),
            postman,
            _publisher,
            _loggers.CreateLogger<TopicSubscription>(),
            _time);

        await component.Broker.SubscribeAsync(definition.Topic, group, definition.Metadata, subscription.HandleAsync, _stopping.Token).WaitAsync(ct).ConfigureAwait(false);
        lock (_gate)
        {
            _running.Add(subscription);
        }

        _logger.LogInformation("Started {Subscription} (consumer group {Group}, routes {Routes})", definition.Describe(), group,
            string.Join(", ", definition.Rules.Select(r => r.Match is null ? $"default → /{r.Path.TrimStart('/')}" : $"{r.Match} → /{r.Path.TrimStart('/')}")));
    }
}
