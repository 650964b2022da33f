using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapr.Testing;
using Search.Tests.Infrastructure;

namespace Search.Tests;

/// <summary>
/// Search fed by product events published on catalog.products exactly as the catalog's outbox publishes them (versioned
/// CloudEvent type, the product as data), so each test controls versions, order and duplicates. Deliveries are one at a
/// time here, so once a "marker" event published last is searchable, every event before it has been handled.
/// </summary>
[Collection(SharedServers.Collection)]
public sealed class ProductEventIndexingTests(SharedServers servers) : IAsyncLifetime
{
    private readonly DirectoryInfo _names = Directory.CreateTempSubdirectory("search-names-");
    private RedisServer _broker = null!;
    private SearchService _search = null!;

    public async Task InitializeAsync()
    {
        _broker = await RedisServer.StartAsync();
        _search = await SearchService.StartAsync(servers, _broker, _names.FullName, inOrder: true);
    }

    public async Task DisposeAsync()
    {
        await _search.DisposeAsync();
        await _broker.DisposeAsync();
        _names.Delete(recursive: true);
    }

    private static object Product(string id, string name, long version = 1, string category = "desserts", string? description = null, decimal price = 5m, bool deleted = false) =>
        new { productId = id, sku = "SKU-" + id[..6], name, price, currency = "EUR", category, description, attributes = new { }, version, deleted };

    private static string NewId() => Guid.NewGuid().ToString("N");

    private static int Total(JsonElement page) => page.GetProperty("total").GetInt32();

    [Fact]
    public async Task a_french_query_without_accents_finds_the_accented_product()
    {
        await _search.PublishAsync("product.created.v1", Product(NewId(), "Crème brûlée", description: "Crème vanillée sous une croûte de sucre caramélisé"));
        await _search.PublishAsync("product.created.v1", Product(NewId(), "Tarte aux pommes"));

        var page = await _search.WaitForAsync("q=creme%20brulee", p => Total(p) > 0);

        Assert.Equal(["Crème brûlée"], SearchService.Names(page));
        Assert.Equal(["Crème brûlée"], SearchService.Names(await _search.SearchAsync("q=cr%C3%A8me%20br%C3%BBl%C3%A9e")));
    }

    [Fact]
    public async Task an_english_query_matches_other_forms_of_the_same_words()
    {
        await _search.PublishAsync("product.created.v1", Product(NewId(), "Running shoes", category: "sport"));
        await _search.PublishAsync("product.created.v1", Product(NewId(), "Walking boots", category: "sport"));

        var page = await _search.WaitForAsync("q=run%20shoe", p => Total(p) > 0);

        Assert.Equal(["Running shoes"], SearchService.Names(page));
    }

    [Fact]
    public async Task the_category_filter_keeps_only_that_category()
    {
        await _search.PublishAsync("product.created.v1", Product(NewId(), "Chocolate cake", category: "desserts"));
        await _search.PublishAsync("product.created.v1", Product(NewId(), "Chocolate bar", category: "snacks"));
        await _search.WaitForAsync("q=chocolate", p => Total(p) == 2);

        var page = await _search.SearchAsync("q=chocolate&category=snacks");

        Assert.Equal(["Chocolate bar"], SearchService.Names(page));
        Assert.Equal(1, Total(page));
    }

    [Fact]
    public async Task a_match_in_the_name_ranks_above_a_match_in_the_description()
    {
        await _search.PublishAsync("product.created.v1", Product(NewId(), "Vanilla ice cream", description: "Served with a chocolate sauce"));
        await _search.PublishAsync("product.created.v1", Product(NewId(), "Chocolate fondant", description: "Warm and soft"));

        var page = await _search.WaitForAsync("q=chocolate", p => Total(p) == 2);

        Assert.Equal(["Chocolate fondant", "Vanilla ice cream"], SearchService.Names(page));
        var ranks = page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("rank").GetSingle()).ToList();
        Assert.True(ranks[0] > ranks[1]);
    }

    [Fact]
    public async Task pages_split_the_matches_without_overlap_and_report_the_total()
    {
        foreach (var i in Enumerable.Range(1, 5))
        {
            await _search.PublishAsync("product.created.v1", Product(NewId(), $"Macaron {i}"));
        }

        await _search.WaitForAsync("q=macaron", p => Total(p) == 5);
        var pages = new List<IReadOnlyList<string>>();
        foreach (var number in new[] { 1, 2, 3 })
        {
            var page = await _search.SearchAsync($"q=macaron&pageSize=2&page={number}");
            Assert.Equal(5, Total(page));
            pages.Add(SearchService.Names(page));
        }

        Assert.Equal([2, 2, 1], pages.Select(p => p.Count));
        Assert.Equal(5, pages.SelectMany(p => p).Distinct().Count());
    }

    [Fact]
    public async Task an_older_version_arriving_after_a_newer_one_changes_nothing()
    {
        var id = NewId();
        await _search.PublishAsync("product.updated.v1", Product(id, "Pistachio macaron", version: 3));
        await _search.WaitForAsync("q=pistachio", p => Total(p) == 1);

        await _search.PublishAsync("product.updated.v1", Product(id, "Lemon macaron", version: 2));
        await _search.PublishAsync("product.created.v1", Product(NewId(), "Marker tart"));
        await _search.WaitForAsync("q=marker", p => Total(p) == 1);

        Assert.Equal(0, Total(await _search.SearchAsync("q=lemon")));
        Assert.Equal(3L, await _search.ScalarAsync<long>($"SELECT version FROM products WHERE id = '{id}'"));
    }

    [Fact]
    public async Task the_same_event_delivered_twice_is_applied_once()
    {
        var id = NewId();
        var eventId = "outbox-" + Guid.NewGuid();
        await _search.PublishAsync("product.created.v1", Product(id, "Hazelnut praline", version: 1), eventId);
        await _search.WaitForAsync("q=praline", p => Total(p) == 1);

        // Same id, different content: only the id can stop it, since its version is newer.
        await _search.PublishAsync("product.created.v1", Product(id, "Walnut praline", version: 2), eventId);
        await _search.PublishAsync("product.created.v1", Product(NewId(), "Marker tart"));
        await _search.WaitForAsync("q=marker", p => Total(p) == 1);

        Assert.Equal(0, Total(await _search.SearchAsync("q=walnut")));
        Assert.Equal(1L, await _search.ScalarAsync<long>($"SELECT version FROM products WHERE id = '{id}'"));
        Assert.Equal(1L, await _search.ScalarAsync<long>($"SELECT count(*) FROM processed_events WHERE event_id = '{eventId}'"));
    }

    [Fact]
    public async Task a_deleted_product_is_no_longer_found_and_a_late_update_does_not_bring_it_back()
    {
        var id = NewId();
        await _search.PublishAsync("product.created.v1", Product(id, "Apricot tart", version: 1));
        await _search.WaitForAsync("q=apricot", p => Total(p) == 1);

        await _search.PublishAsync("product.deleted.v1", Product(id, "Apricot tart", version: 3, deleted: true));
        await _search.WaitForAsync("q=apricot", p => Total(p) == 0);
        await _search.PublishAsync("product.updated.v1", Product(id, "Apricot tart", version: 2));
        await _search.PublishAsync("product.created.v1", Product(NewId(), "Marker tart"));
        await _search.WaitForAsync("q=marker", p => Total(p) == 1);

        Assert.Equal(0, Total(await _search.SearchAsync("q=apricot")));
    }

    [Fact]
    public async Task an_event_of_an_unknown_version_is_not_read_as_v1()
    {
        await _search.PublishAsync("product.updated.v2", Product(NewId(), "Future tart", version: 1));
        await _search.PublishAsync("product.created.v1", Product(NewId(), "Marker tart"));
        await _search.WaitForAsync("q=marker", p => Total(p) == 1);

        Assert.Equal(0, Total(await _search.SearchAsync("q=future")));
    }

    [Fact]
    public async Task a_bad_search_request_is_refused_with_a_400_naming_the_parameter()
    {
        using var response = await _search.Http.GetAsync("search?q=tart&pageSize=500");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("pageSize", out _));
    }
}
