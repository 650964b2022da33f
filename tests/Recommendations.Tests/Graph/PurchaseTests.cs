using Recommendations.Graph;

namespace Recommendations.Tests.Graph;

public sealed class PurchaseTests
{
    private static readonly DateTimeOffset Confirmed = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void an_order_of_three_products_is_bought_once_each_and_pairs_them_in_both_directions()
    {
        var change = new Purchase("o-1", "alice", ["kettle", "mug", "tea"], Confirmed).ToGraphChange();

        Assert.Equal([NodeKey.Customer("alice"), NodeKey.Product("kettle"), NodeKey.Product("mug"), NodeKey.Product("tea")], change.Nodes);
        Assert.Equal(
            ["kettle", "mug", "tea"],
            change.Edges.Where(e => e.Type == EdgeType.Bought).Select(e => e.To.Key));
        Assert.All(change.Edges.Where(e => e.Type == EdgeType.Bought), e => Assert.Equal(NodeKey.Customer("alice"), e.From));
        Assert.Equal(
            ["kettle>mug", "kettle>tea", "mug>kettle", "mug>tea", "tea>kettle", "tea>mug"],
            change.Edges.Where(e => e.Type == EdgeType.BoughtWith).Select(e => $"{e.From.Key}>{e.To.Key}"));
        Assert.Equal(Confirmed, change.At);
    }

    [Fact]
    public void two_lines_of_the_same_product_count_as_one_product()
    {
        var purchase = new Purchase("o-1", "alice", ["mug", "kettle", "mug"], Confirmed);

        Assert.Equal(["kettle", "mug"], purchase.ProductIds);
        Assert.Equal(2, purchase.ToGraphChange().Edges.Count(e => e.Type == EdgeType.BoughtWith));
    }

    [Fact]
    public void a_single_product_order_pairs_with_nothing()
    {
        var change = new Purchase("o-1", "alice", ["kettle"], Confirmed).ToGraphChange();

        Assert.Equal([EdgeType.Bought], change.Edges.Select(e => e.Type));
    }

    [Fact]
    public void an_order_without_products_is_not_a_purchase()
    {
        Assert.Throws<ArgumentException>(() => new Purchase("o-1", "alice", [], Confirmed));
        Assert.Throws<ArgumentException>(() => new Purchase("o-1", "alice", ["kettle", " "], Confirmed));
    }
}
