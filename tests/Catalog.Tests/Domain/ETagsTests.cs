using System.Text.Json;
using Catalog.Apis;
using Catalog.Domain;

namespace Catalog.Tests.Domain;

public sealed class ETagsTests
{
    [Theory]
    [InlineData("\"2\"", true)]
    [InlineData("*", true)]
    [InlineData("\"1\", \"2\"", true)]
    [InlineData("\"1\"", false)]
    [InlineData("W/\"2\"", false)]
    [InlineData("2", false)]
    public void if_match_names_the_current_version_as_a_strong_quoted_tag(string ifMatch, bool matches)
    {
        var product = Product.Create(ProductId.New(), new ProductDetails("S", "N", null, 1m, "EUR", "c", new Dictionary<string, JsonElement>()))
            .Product.Update(new ProductDetails("S", "N2", null, 1m, "EUR", "c", new Dictionary<string, JsonElement>())).Product;

        Assert.Equal(matches, ETags.Matches(ifMatch, product));
    }
}
