namespace OrderWorkflow.Infrastructure;

/// <summary>The Dapr app-ids the workflows invoke (dapr.yaml).</summary>
public static class Apps
{
    public const string Inventory = "inventory";
    public const string Payments = "payments";
    public const string Orders = "orders";
}
