using Catalog.Domain;

namespace Catalog.Apis;

/// <summary>HTTP entity tags of products: the product's version, quoted (<c>"3"</c>).</summary>
public static class ETags
{
    public static string Of(Product product) => $"\"{product.Version}\"";

    /// <summary>RFC 9110 If-Match: <c>*</c> or a list of entity tags, any of which may match (weak tags never do).</summary>
    public static bool Matches(string ifMatch, Product product)
    {
        var tags = ifMatch.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return tags.Any(tag => tag == "*" || tag == Of(product));
    }
}
