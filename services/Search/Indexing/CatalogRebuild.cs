using System.Globalization;
using System.Text.Json;
using Dapr.Client;

namespace Search.Indexing;

public sealed record RebuildResult(int Pages, int Products, int Applied);

/// <summary>
/// Rebuilds the index from the catalog itself: pages through <c>GET /products</c> of app <c>catalog</c> by service
/// invocation, tombstones included, and applies each product with the same version guard as the events. It can run
/// while events keep arriving: whichever brings a version first, the newest version is what stays.
/// </summary>
public sealed class CatalogRebuild(DaprClient dapr, ProductIndex index, ILogger<CatalogRebuild> logger)
{
    public const string CatalogAppId = "catalog";
    public const int PageSize = 200;

    // http://catalog/... through the sidecar's invocation API (resiliency, tracing and mTLS are the sidecar's).
    private readonly HttpClient _catalog = dapr.CreateInvokableHttpClient(CatalogAppId);

    public async Task<RebuildResult> RunAsync(CancellationToken ct)
    {
        int pages = 0, products = 0, applied = 0;
        string? afterId = null;
        do
        {
            var query = QueryString.Create(new Dictionary<string, string?> { ["limit"] = PageSize.ToString(CultureInfo.InvariantCulture), ["includeDeleted"] = "true", ["afterId"] = afterId }
                .Where(p => p.Value is not null));
            var page = await _catalog.GetFromJsonAsync<CatalogPage>($"/products{query}", JsonSerializerOptions.Web, ct)
                ?? throw new InvalidOperationException("the catalog answered GET /products with an empty body");
            foreach (var product in page.Items)
            {
                if (await index.ApplyAsync(product.ToIndexed(), ct) == IndexOutcome.Applied)
                {
                    applied++;
                }
            }

            pages++;
            products += page.Items.Count;
            afterId = page.NextAfterId;
        }
        while (afterId is not null);

        logger.LogInformation("Rebuilt the search index from the catalog: {Products} products in {Pages} pages, {Applied} brought up to date", products, pages, applied);
        return new RebuildResult(pages, products, applied);
    }

    /// <summary>The catalog's <c>GET /products</c> page, as this client reads it.</summary>
    private sealed record CatalogPage(List<CatalogProduct> Items, string? NextAfterId);

    private sealed record CatalogProduct(
        string Id, string Sku, string Name, string? Description, decimal Price, string Currency, string Category,
        Dictionary<string, JsonElement>? Attributes, long Version, bool Deleted)
    {
        public IndexedProduct ToIndexed() =>
            new(Id, Sku, Name, Description, Category, Price, Currency, ProductEventData.LanguageOf(Attributes), Version, Deleted);
    }
}
