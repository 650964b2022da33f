namespace Cart.Domain;

/// <summary>
/// One customer's cart. Every operation is a pure function from the cart as read to a <see cref="CartChange"/>, so the
/// store can apply it again to fresh state after losing an etag race without the operation knowing.
/// </summary>
public sealed record ShoppingCart(string CustomerId, IReadOnlyList<CartLine> Lines)
{
    public const int MaxQuantity = 999;

    public static ShoppingCart Empty(string customerId) => new(customerId, []);

    public CartLine? Find(string productId) => Lines.FirstOrDefault(line => line.ProductId == productId);

    public bool Holds(string productId) => Find(productId) is not null;

    /// <summary>
    /// A product already in the cart gets the quantities added; its copied name and price stay as they are, because
    /// those are kept fresh by versioned catalog events and the caller's copy carries no version to compare with.
    /// </summary>
    public CartChange Add(CartLine item)
    {
        if (Find(item.ProductId) is not { } existing)
        {
            return new CartChange.Changed(this with { Lines = [.. Lines, item] });
        }

        var quantity = existing.Quantity + item.Quantity;
        return quantity > MaxQuantity
            ? new CartChange.Refused(nameof(CartLine.Quantity),
                $"The cart already holds {existing.Quantity} of {item.ProductId}; at most {MaxQuantity} fit in one line.")
            : new CartChange.Changed(Replace(existing, existing with { Quantity = quantity }));
    }

    public CartChange ChangeQuantity(string productId, int quantity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(quantity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(quantity, MaxQuantity);

        return Find(productId) is { } line
            ? new CartChange.Changed(Replace(line, line with { Quantity = quantity }))
            : new CartChange.NoSuchLine(productId);
    }

    public CartChange Remove(string productId) => Find(productId) is { } line
        ? new CartChange.Changed(this with { Lines = Lines.Where(l => l.ProductId != line.ProductId).ToList() })
        : new CartChange.NoSuchLine(productId);

    /// <summary>
    /// Takes the catalog's name and price for a product the cart holds, unless the cart already has that revision or a
    /// later one: events can arrive twice and out of order, and only a newer revision may overwrite the copy.
    /// </summary>
    public CartChange Reprice(ProductRevision product)
    {
        if (Find(product.ProductId) is not { } line || product.Version <= line.ProductVersion)
        {
            return new CartChange.Unchanged(this);
        }

        // The version is recorded even when name and price did not move, so that an older revision arriving later
        // cannot bring back an older price.
        var repriced = line with
        {
            Sku = product.Sku,
            Name = product.Name,
            UnitPrice = product.UnitPrice,
            Currency = product.Currency,
            ProductVersion = product.Version,
        };
        return new CartChange.Changed(Replace(line, repriced));
    }

    /// <summary>What the cart costs, one amount per currency: lines are priced in their product's own currency.</summary>
    public IReadOnlyList<Money> Totals() => Lines
        .GroupBy(line => line.Currency, StringComparer.Ordinal)
        .Select(group => new Money(group.Sum(line => line.Total()), group.Key))
        .OrderBy(total => total.Currency, StringComparer.Ordinal)
        .ToList();

    private ShoppingCart Replace(CartLine old, CartLine updated) =>
        this with { Lines = Lines.Select(line => line.ProductId == old.ProductId ? updated : line).ToList() };
}

/// <summary>
/// A product in a cart, with the name and price copied from the catalog when it was added.
/// <see cref="ProductVersion"/> is the catalog revision the copy came from; 0 until a catalog event has been applied.
/// </summary>
public sealed record CartLine(
    string ProductId,
    string Sku,
    string Name,
    decimal UnitPrice,
    string Currency,
    int Quantity,
    long ProductVersion = 0)
{
    public decimal Total() => UnitPrice * Quantity;
}

/// <summary>A product as the catalog published it at one revision.</summary>
public sealed record ProductRevision(string ProductId, string Sku, string Name, decimal UnitPrice, string Currency, long Version);

public sealed record Money(decimal Amount, string Currency);

/// <summary>What an operation made of a cart: the store writes only <see cref="Changed"/>.</summary>
public abstract record CartChange
{
    private CartChange()
    {
    }

    public sealed record Changed(ShoppingCart Cart) : CartChange;

    public sealed record Unchanged(ShoppingCart Cart) : CartChange;

    /// <summary>A business rule refused the operation; <see cref="Field"/> names the request field at fault.</summary>
    public sealed record Refused(string Field, string Message) : CartChange;

    public sealed record NoSuchLine(string ProductId) : CartChange;
}
