using System.Text.Json;
using Catalog.Domain;

namespace Catalog.Tests.Domain;

public sealed class ProductTests
{
    private static ProductDetails Details(decimal price = 4.5m, string name = "Crème brûlée") =>
        new("DESSERT-1", name, "Vanilla custard under burnt sugar", price, "EUR", "desserts",
            new Dictionary<string, JsonElement> { ["allergens"] = JsonSerializer.SerializeToElement(new[] { "milk", "egg" }) });

    [Fact]
    public void a_new_product_is_version_1_and_announced_as_created()
    {
        var change = Product.Create("0123456789abcdef0123456789abcdef", Details());

        Assert.Equal(1, change.Product.Version);
        Assert.False(change.Product.Deleted);
        Assert.Equal("product.created.v1", change.EventType);
    }

    [Fact]
    public void each_update_is_the_next_version_and_announced_as_updated()
    {
        var created = Product.Create("0123456789abcdef0123456789abcdef", Details()).Product;

        var first = created.Update(Details(price: 5m));
        var second = first.Product.Update(Details(price: 6m));

        Assert.Equal([2L, 3L], [first.Product.Version, second.Product.Version]);
        Assert.Equal(6m, second.Product.Price);
        Assert.Equal("product.updated.v1", second.EventType);
    }

    [Fact]
    public void deleting_leaves_a_tombstone_at_the_next_version_announced_as_deleted()
    {
        var product = Product.Create("0123456789abcdef0123456789abcdef", Details()).Product;

        var deleted = product.Delete();

        Assert.True(deleted.Product.Deleted);
        Assert.Equal(2, deleted.Product.Version);
        Assert.Equal(product.Name, deleted.Product.Name);
        Assert.Equal("product.deleted.v1", deleted.EventType);
        Assert.True(deleted.Event.Deleted);
    }

    [Fact]
    public void a_deleted_product_cannot_change_again()
    {
        var tombstone = Product.Create("0123456789abcdef0123456789abcdef", Details()).Product.Delete().Product;

        Assert.Throws<InvalidOperationException>(() => tombstone.Update(Details()));
        Assert.Throws<InvalidOperationException>(() => tombstone.Delete());
    }

    [Fact]
    public void the_event_carries_the_whole_product_at_its_version()
    {
        var change = Product.Create("0123456789abcdef0123456789abcdef", Details()).Product.Update(Details(price: 7.25m, name: "Crème brûlée maison"));

        var json = JsonSerializer.SerializeToElement(change.Event, JsonSerializerOptions.Web);

        Assert.Equal(["productId", "sku", "name", "price", "currency", "category", "description", "attributes", "version", "deleted"],
            json.EnumerateObject().Select(p => p.Name));
        Assert.Equal("0123456789abcdef0123456789abcdef", json.GetProperty("productId").GetString());
        Assert.Equal(7.25m, json.GetProperty("price").GetDecimal());
        Assert.Equal(2, json.GetProperty("version").GetInt64());
        Assert.Equal("egg", json.GetProperty("attributes").GetProperty("allergens")[1].GetString());
    }

    [Theory]
    [InlineData("0123456789abcdef0123456789abcdef", true)]
    [InlineData("0123456789ABCDEF0123456789ABCDEF", false)]
    [InlineData("0123456789abcdef", false)]
    [InlineData("0123456789abcdef0123456789abcdeg", false)]
    [InlineData("../../0123456789abcdef0123456789a", false)]
    public void only_32_lowercase_hex_characters_make_a_product_id(string id, bool valid) => Assert.Equal(valid, ProductId.IsValid(id));

    [Fact]
    public void new_ids_are_valid_and_distinct()
    {
        var ids = Enumerable.Range(0, 100).Select(_ => ProductId.New()).ToList();

        Assert.All(ids, id => Assert.True(ProductId.IsValid(id)));
        Assert.Equal(100, ids.Distinct().Count());
    }
}
