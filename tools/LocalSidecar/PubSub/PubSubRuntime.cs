using LocalSidecar.Components;
using LocalSidecar.Resiliency;
using LocalSidecar.Subscriptions;
using Microsoft.Extensions.Logging;

namespace LocalSidecar.PubSub;

/// <summary>
/// The whole pub/sub building block of one sidecar, for the host to hold: the initialised brokers, the
/// <see cref="Publisher"/> the APIs call, and — once the API servers listen — the app's subscriptions. Two phases,
/// as in daprd: components first (start-up fails on a bad one), subscriptions after the sidecar is reachable.
/// </summary>
public sealed class PubSubRuntime : IAsyncDisposable
{
    private readonly ILoggerFactory _loggers;
    private readonly TimeProvider _time;
    private SubscriptionManager? _subscriptions;

    private PubSubRuntime(PubSubRegistry registry, Publisher publisher, ResiliencyPolicies resiliency, ILoggerFactory loggers, TimeProvider time)
    {
        Registry = registry;
        Publisher = publisher;
        Resiliency = resiliency;
        _loggers = loggers;
        _time = time;
    }

    public PubSubRegistry Registry { get; }

    public Publisher Publisher { get; }

    public ResiliencyPolicies Resiliency { get; }

    /// <summary>The running subscriptions (empty before <see cref="StartSubscriptionsAsync"/>), for the metadata API.</summary>
    public IReadOnlyList<SubscriptionDefinition> ActiveSubscriptions => _subscriptions?.Active ?? [];

    /// <param name="components">Every loaded component; those whose category is not <c>pubsub</c> are skipped.</param>
    /// <param name="resiliency">Every Resiliency document loaded; scopes are applied here.</param>
    /// <exception cref="ResourceException">A pub/sub component has an unsupported type or bad metadata.</exception>
    public static async Task<PubSubRuntime> CreateAsync(
        string appId,
        IEnumerable<ComponentDefinition> components,
        IEnumerable<ResiliencyDefinition> resiliency,
        ILoggerFactory loggers,
        TimeProvider time,
        CancellationToken ct)
    {
        var policies = ResiliencyPolicies.Combine(resiliency, appId, loggers, time);
        var started = new List<PubSubComponent>();
        try
        {
            foreach (var definition in components.Where(c => c.Category == "pubsub"))
            {
                var broker = PubSubFactory.Create(definition, loggers, time);
                started.Add(PubSubComponent.Create(definition, broker, appId));
                await broker.InitAsync(ct).ConfigureAwait(false);
            }
        }
        catch
        {
            // Brokers already connected must not outlive a failed start-up.
            foreach (var component in started)
            {
                await component.Broker.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }

        var registry = new PubSubRegistry(started);
        var publisher = new Publisher(registry, appId, policies, time, loggers.CreateLogger<Publisher>());
        return new PubSubRuntime(registry, publisher, policies, loggers, time);
    }

    /// <param name="declarative">Every Subscription document loaded; those scoped to other apps are skipped.</param>
    public async Task StartSubscriptionsAsync(SubscriptionManagerOptions options, IReadOnlyList<SubscriptionDefinition> declarative, CancellationToken ct)
    {
        if (_subscriptions is not null)
        {
            throw new InvalidOperationException("the subscriptions are already started");
        }

        _subscriptions = new SubscriptionManager(options, Registry, Publisher, declarative, Resiliency, _loggers, _time);
        await _subscriptions.StartAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Drains deliveries in progress (bounded by <paramref name="ct"/> and the drain timeout), then stops every subscription.</summary>
    public Task StopSubscriptionsAsync(CancellationToken ct) => _subscriptions?.StopAsync(ct) ?? Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_subscriptions is not null)
        {
            await _subscriptions.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var component in Registry.All)
        {
            await component.Broker.DisposeAsync().ConfigureAwait(false);
        }
    }
}
