using System.ComponentModel.DataAnnotations;

namespace Cart.Infrastructure;

/// <summary>The <c>Cart</c> configuration section.</summary>
public sealed class CartOptions
{
    public const string Section = "Cart";

    /// <summary>The Dapr state store component; its file decides whether that is Redis, PostgreSQL or memory.</summary>
    [Required]
    public string StoreName { get; set; } = "cart-store";

    /// <summary>An abandoned cart is gone this long after the customer last changed it.</summary>
    [Range(1, int.MaxValue)]
    public int TimeToLiveSeconds { get; set; } = 30 * 24 * 60 * 60;

    /// <summary>How often one change is tried against a cart that others keep changing before giving up with 409.</summary>
    [Range(1, 100)]
    public int MaxWriteAttempts { get; set; } = 10;

    /// <summary>
    /// A product's cart index forgets a customer only when the entry is at least this old, so that a customer who is
    /// adding the product right now (index written, cart not yet) is never forgotten. Far longer than one add takes.
    /// </summary>
    [Range(0, int.MaxValue)]
    public int IndexGracePeriodSeconds { get; set; } = 300;

    public TimeSpan TimeToLive => TimeSpan.FromSeconds(TimeToLiveSeconds);

    public TimeSpan IndexGracePeriod => TimeSpan.FromSeconds(IndexGracePeriodSeconds);
}
