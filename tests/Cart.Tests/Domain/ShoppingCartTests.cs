using Cart.Domain;

namespace Cart.Tests.Domain;

public sealed class ShoppingCartTests
{
    private static readonly ShoppingCart Empty = ShoppingCart.Empty("alice");

    private static CartLine Line(string productId = "p1", int quantity = 1, decimal price = 10m, string currency = "EUR") =>
        new(productId, "SKU-" + productId, "Product " + productId, price, currency, quantity);

    private static ShoppingCart Changed(CartChange change) => Assert.IsType<CartChange.Changed>(change).Cart;

    [Fact]
    public void adding_a_new_product_appends_a_line()
    {
        var cart = Changed(Empty.Add(Line("p1", 2)));

        var line = Assert.Single(cart.Lines);
        Assert.Equal(("p1", 2, 10m, 0L), (line.ProductId, line.Quantity, line.UnitPrice, line.ProductVersion));
    }

    [Fact]
    public void adding_a_product_already_in_the_cart_merges_the_quantities_and_keeps_the_copied_price()
    {
        var cart = Changed(Empty.Add(Line("p1", 2, price: 10m)));

        cart = Changed(cart.Add(Line("p1", 3, price: 12m)));

        var line = Assert.Single(cart.Lines);
        Assert.Equal((5, 10m), (line.Quantity, line.UnitPrice));
    }

    [Fact]
    public void merging_past_the_line_limit_is_refused_naming_the_quantity()
    {
        var cart = Changed(Empty.Add(Line("p1", 990)));

        var refused = Assert.IsType<CartChange.Refused>(cart.Add(Line("p1", 10)));

        Assert.Equal(nameof(CartLine.Quantity), refused.Field);
    }

    [Fact]
    public void changing_and_removing_a_line_the_cart_does_not_hold_is_no_such_line()
    {
        Assert.IsType<CartChange.NoSuchLine>(Empty.ChangeQuantity("p1", 2));
        Assert.IsType<CartChange.NoSuchLine>(Empty.Remove("p1"));
    }

    [Fact]
    public void changing_the_quantity_sets_it_and_removing_drops_only_that_line()
    {
        var cart = Changed(Changed(Empty.Add(Line("p1"))).Add(Line("p2")));

        cart = Changed(cart.ChangeQuantity("p2", 7));
        Assert.Equal(7, cart.Find("p2")!.Quantity);

        cart = Changed(cart.Remove("p1"));
        Assert.Equal(["p2"], cart.Lines.Select(l => l.ProductId));
    }

    [Fact]
    public void a_newer_product_revision_updates_name_price_and_version()
    {
        var cart = Changed(Empty.Add(Line("p1", 2, price: 10m)));

        cart = Changed(cart.Reprice(new ProductRevision("p1", "SKU-2", "Renamed", 12.5m, "EUR", Version: 3)));

        var line = Assert.Single(cart.Lines);
        Assert.Equal(("SKU-2", "Renamed", 12.5m, 3L, 2), (line.Sku, line.Name, line.UnitPrice, line.ProductVersion, line.Quantity));
    }

    [Fact]
    public void the_same_or_an_older_revision_changes_nothing()
    {
        var cart = Changed(Changed(Empty.Add(Line("p1"))).Reprice(new ProductRevision("p1", "S", "v3", 30m, "EUR", 3)));

        Assert.Same(cart, Assert.IsType<CartChange.Unchanged>(cart.Reprice(new ProductRevision("p1", "S", "v3 again", 31m, "EUR", 3))).Cart);
        Assert.Same(cart, Assert.IsType<CartChange.Unchanged>(cart.Reprice(new ProductRevision("p1", "S", "v2", 20m, "EUR", 2))).Cart);
    }

    [Fact]
    public void a_revision_with_the_same_price_still_records_its_version_so_an_older_one_cannot_win_later()
    {
        var cart = Changed(Empty.Add(Line("p1", price: 10m)));

        cart = Changed(cart.Reprice(new ProductRevision("p1", "SKU-p1", "Product p1", 10m, "EUR", 5)));

        Assert.IsType<CartChange.Unchanged>(cart.Reprice(new ProductRevision("p1", "SKU-p1", "Product p1", 8m, "EUR", 4)));
    }

    [Fact]
    public void repricing_a_product_the_cart_does_not_hold_changes_nothing()
    {
        var cart = Changed(Empty.Add(Line("p1")));

        Assert.IsType<CartChange.Unchanged>(cart.Reprice(new ProductRevision("p2", "S", "N", 1m, "EUR", 1)));
    }

    [Fact]
    public void totals_are_per_currency()
    {
        var cart = Changed(Changed(Changed(Empty.Add(Line("p1", 2, 10m))).Add(Line("p2", 1, 2.5m))).Add(Line("p3", 3, 1m, "USD")));

        Assert.Equal([new Money(22.5m, "EUR"), new Money(3m, "USD")], cart.Totals());
    }
}
