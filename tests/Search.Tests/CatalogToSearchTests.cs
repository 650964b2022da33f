using System.Net.Http.Json;
using System.Text.Json;
using Catalog.Tests.Infrastructure;
using Dapr.Testing;
using Search.Tests.Infrastructure;

namespace Search.Tests;

/// <summary>The catalog and search together, each with its sidecar: the outbox feeds the index, and the index can be rebuilt.</summary>
[Collection(SharedServers.Collection)]
public sealed class CatalogToSearchTests(SharedServers servers) : IAsyncLifetime
{
    private readonly DirectoryInfo _names = Directory.CreateTempSubdirectory("system-names-");
    private RedisServer _broker = null!;
    private CatalogService _catalog = null!;
    private SearchService _search = null!;

    public async Task InitializeAsync()
    {
        _broker = await RedisServer.StartAsync();
        var catalogStore = ComponentFiles.CatalogStore(StoreKind.Postgres, await servers.NewDatabaseAsync("catalog"));
        _catalog = await CatalogService.StartAsync(catalogStore, _broker, _names.FullName);
        _search = await SearchService.StartAsync(servers, _broker, _names.FullName);
    }

    public async Task DisposeAsync()
    {
        await _search.DisposeAsync();
        await _catalog.DisposeAsync();
        await _broker.DisposeAsync();
        _names.Delete(recursive: true);
    }

    [Fact]
    public async Task a_product_created_then_repriced_in_the_catalog_is_found_by_search_at_its_new_price()
    {
        var id = (await _catalog.CreateAsync(CatalogService.Product(name: "Crème brûlée"))).GetProperty("id").GetString();
        using var reprice = await _catalog.Http.PutAsJsonAsync($"products/{id}", CatalogService.Product(name: "Crème brûlée", price: 6.9m));
        reprice.EnsureSuccessStatusCode();

        var page = await _search.WaitForAsync("q=creme%20brulee", p => p.GetProperty("items").EnumerateArray().Any(i => i.GetProperty("price").GetDecimal() == 6.9m));

        var hit = page.GetProperty("items").EnumerateArray().Single();
        Assert.Equal(id, hit.GetProperty("id").GetString());
        Assert.Equal(2L, await _search.ScalarAsync<long>($"SELECT version FROM products WHERE id = '{id}'"));
    }

    [Fact]
    public async Task a_rebuild_restores_a_wiped_index_from_the_catalog()
    {
        var kept = new List<string>();
        foreach (var name in new[] { "Tarte tatin", "Tarte au citron", "Tarte aux fraises" })
        {
            kept.Add((await _catalog.CreateAsync(CatalogService.Product(name: name, sku: "T-" + kept.Count))).GetProperty("id").GetString()!);
        }

        var gone = (await _catalog.CreateAsync(CatalogService.Product(name: "Tarte disparue", sku: "T-X"))).GetProperty("id").GetString();
        (await _catalog.Http.DeleteAsync($"products/{gone}")).EnsureSuccessStatusCode();
        await _search.WaitForAsync("q=tarte", p => p.GetProperty("total").GetInt32() == 3 && !p.ToString().Contains("disparue"));
        // Events are delivered in parallel, so the page above can be right while the deleted product's creation is still
        // on its way (the tombstone came first); had it landed after the wipe below, the wiped index would not be empty.
        await _search.WaitUntilHandledAsync(5); // four creations, one deletion

        await _search.ExecuteAsync("TRUNCATE products");
        Assert.Equal(0, (await _search.SearchAsync("q=tarte")).GetProperty("total").GetInt32());

        using var response = await _search.Http.PostAsync("admin/rebuild", null);

        response.EnsureSuccessStatusCode();
        var result = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(4, result.GetProperty("products").GetInt32());
        var page = await _search.SearchAsync("q=tarte");
        Assert.Equal(kept.Order(), page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()!).Order());
    }
}
