namespace Orders.Outbox;

/// <summary>Where the relay sends outbox rows and how it paces itself (configuration section <c>Outbox</c>).</summary>
public sealed class OutboxOptions
{
    public const string Section = "Outbox";

    public string PubSub { get; set; } = "pubsub";

    public string Topic { get; set; } = "orders";

    /// <summary>The app that schedules the saga (docs/checkout-saga.md: <c>POST /sagas/orders/{orderId}</c>).</summary>
    public string WorkflowAppId { get; set; } = "order-workflow";

    /// <summary>Rows taken (and locked) per transaction.</summary>
    public int BatchSize { get; set; } = 64;

    /// <summary>
    /// Orders whose rows are delivered at the same time (the rows of one order always go one by one). As many as a batch
    /// holds: a batch commits once its slowest delivery is back, so fewer would send it in waves, each as slow as its
    /// slowest row (at 16, the saga benchmark saw the relay cap checkouts near 75 per second, with seconds of rows
    /// queued in front of it and idle capacity behind it).
    /// </summary>
    public int MaxParallelDeliveries { get; set; } = 64;

    /// <summary>
    /// How often the relay looks for rows without being woken: rows written by another instance, or due for a retry.
    /// Rows this instance writes wake it at once (<see cref="OutboxSignal"/>).
    /// </summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(5);
}
