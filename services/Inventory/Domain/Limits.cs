namespace Inventory.Domain;

/// <summary>The API's limits; the table's CHECK constraints hold the same ones (Migrations/0001).</summary>
public static class Limits
{
    /// <summary>An order of more distinct SKUs is not a checkout but a bulk job, and would hold that many row locks at once.</summary>
    public const int MaxLines = 100;

    public const int MaxQuantity = 1_000_000;

    /// <summary>Far below int.MaxValue, so that no sum of reservations against it can overflow.</summary>
    public const int MaxOnHand = 1_000_000_000;
}
