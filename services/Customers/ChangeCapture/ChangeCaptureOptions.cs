namespace Customers.ChangeCapture;

/// <summary>Where the relay reads changes from and where it publishes them (configuration section <c>ChangeCapture</c>).</summary>
public sealed class ChangeCaptureOptions
{
    public const string Section = "ChangeCapture";

    /// <summary>
    /// The permanent logical replication slot that remembers how far the relay has confirmed. Slot names are unique per
    /// PostgreSQL cluster, not per database: two customers databases on one server need two names.
    /// </summary>
    public string Slot { get; set; } = "customers_cdc";

    /// <summary>Created by migration 0002; names the tables and operations the slot decodes.</summary>
    public string Publication { get; set; } = "customers_cdc";

    public string PubSub { get; set; } = "pubsub";

    public string Topic { get; set; } = "customers";

    /// <summary>
    /// While no customers change is pending, how often the relay confirms the WAL the server has gone through anyway
    /// (other databases' writes), so the slot does not hold on to it. See <see cref="SlotConfirmation"/>.
    /// </summary>
    public TimeSpan IdleConfirmInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often the replication lag gauge is refreshed from <c>pg_replication_slots</c>.</summary>
    public TimeSpan LagProbeInterval { get; set; } = TimeSpan.FromSeconds(5);
}
