using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Catalog.Tests.Infrastructure;
using Dapr.Testing;

namespace Catalog.Tests.Api;

/// <summary>
/// The catalog through its sidecar, on each state store the component file may name. Subclasses differ only in the
/// catalog-store component: the service, its configuration and these assertions are the same.
/// </summary>
[Collection(SharedServers.Collection)]
public abstract class CatalogApiTests(SharedServers servers) : IAsyncLifetime
{
    private readonly DirectoryInfo _names = Directory.CreateTempSubdirectory("catalog-names-");
    private RedisServer _broker = null!;
    private TopicStream _topic = null!;

    protected CatalogService Catalog { get; private set; } = null!;

    protected SharedServers Servers => servers;

    protected abstract Task<string> CatalogStoreYamlAsync();

    public async Task InitializeAsync()
    {
        _broker = await RedisServer.StartAsync();
        _topic = new TopicStream(_broker.Endpoint, CatalogService.Topic);
        Catalog = await CatalogService.StartAsync(await CatalogStoreYamlAsync(), _broker, _names.FullName);
    }

    public async Task DisposeAsync()
    {
        await Catalog.DisposeAsync();
        await _topic.DisposeAsync();
        await _broker.DisposeAsync();
        _names.Delete(recursive: true);
    }

    [Fact]
    public async Task a_created_product_is_read_back_through_the_sidecar_with_its_version_as_etag()
    {
        var created = await Catalog.CreateAsync(CatalogService.Product());
        var id = created.GetProperty("id").GetString();

        using var response = await Catalog.Http.GetAsync($"products/{id}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("\"1\"", response.Headers.ETag?.ToString());
        var product = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Crème brûlée", product.GetProperty("name").GetString());
        Assert.Equal(4.5m, product.GetProperty("price").GetDecimal());
        Assert.Equal("egg", product.GetProperty("attributes").GetProperty("allergens")[1].GetString());
        Assert.Equal(1, product.GetProperty("version").GetInt64());
    }

    [Fact]
    public async Task an_invalid_product_is_refused_with_a_400_naming_each_bad_field_and_nothing_is_written()
    {
        using var response = await Catalog.Http.PostAsJsonAsync("products", new { sku = "", name = "Tart", price = -1m, currency = "euro", category = "desserts" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        var fields = problem.GetProperty("errors").EnumerateObject().Select(e => e.Name).Order().ToList();
        Assert.Equal(["Currency", "Price", "Sku"], fields);
        Assert.Empty((await ListAsync("products?includeDeleted=true")).GetProperty("items").EnumerateArray());
        await Task.Delay(TimeSpan.FromSeconds(2)); // past the outbox relay's first look
        Assert.Empty(await _topic.ReadAsync());
    }

    [Fact]
    public async Task an_update_becomes_the_next_version_and_is_published_as_product_updated_v1()
    {
        var id = (await Catalog.CreateAsync(CatalogService.Product())).GetProperty("id").GetString();

        using var update = await PutAsync(id!, CatalogService.Product(price: 5.2m, name: "Crème brûlée maison"), ifMatch: "\"1\"");

        Assert.Equal(HttpStatusCode.OK, update.StatusCode);
        Assert.Equal("\"2\"", update.Headers.ETag?.ToString());
        // The outbox relay hands each message to its own delivery, so "updated" may reach the topic before "created".
        var events = await _topic.WaitForAsync(e =>
            e.Any(x => x.GetProperty("type").GetString() == "product.created.v1") && e.Any(x => x.GetProperty("type").GetString() == "product.updated.v1"));
        var created = events.Single(e => e.GetProperty("type").GetString() == "product.created.v1");
        var updated = events.Single(e => e.GetProperty("type").GetString() == "product.updated.v1");
        Assert.Equal(id, created.GetProperty("data").GetProperty("productId").GetString());
        Assert.Equal("application/json", updated.GetProperty("datacontenttype").GetString());
        Assert.Equal(id, updated.GetProperty("subject").GetString());
        var data = updated.GetProperty("data");
        Assert.Equal(5.2m, data.GetProperty("price").GetDecimal());
        Assert.Equal("Crème brûlée maison", data.GetProperty("name").GetString());
        Assert.Equal("EUR", data.GetProperty("currency").GetString());
        Assert.Equal(2, data.GetProperty("version").GetInt64());
        Assert.False(data.GetProperty("deleted").GetBoolean());
    }

    [Fact]
    public async Task concurrent_updates_with_the_same_etag_let_exactly_one_win()
    {
        var id = (await Catalog.CreateAsync(CatalogService.Product())).GetProperty("id").GetString()!;

        var answers = await Task.WhenAll(Enumerable.Range(1, 8).Select(async i =>
        {
            using var response = await PutAsync(id, CatalogService.Product(price: i), ifMatch: "\"1\"");
            return response.StatusCode;
        }));

        Assert.Single(answers, HttpStatusCode.OK);
        Assert.All(answers.Where(a => a != HttpStatusCode.OK), a => Assert.Equal(HttpStatusCode.PreconditionFailed, a));
        var current = await Catalog.Http.GetFromJsonAsync<JsonElement>($"products/{id}");
        Assert.Equal(2, current.GetProperty("version").GetInt64());
    }

    [Fact]
    public async Task an_update_with_a_stale_etag_is_refused_with_412_and_changes_nothing()
    {
        var id = (await Catalog.CreateAsync(CatalogService.Product())).GetProperty("id").GetString()!;
        (await PutAsync(id, CatalogService.Product(price: 6m), ifMatch: "\"1\"")).Dispose();

        using var stale = await PutAsync(id, CatalogService.Product(price: 1m), ifMatch: "\"1\"");

        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.StatusCode);
        Assert.Equal("application/problem+json", stale.Content.Headers.ContentType?.MediaType);
        Assert.Equal(6m, (await Catalog.Http.GetFromJsonAsync<JsonElement>($"products/{id}")).GetProperty("price").GetDecimal());
    }

    [Fact]
    public async Task a_deleted_product_is_gone_for_readers_and_published_as_product_deleted_v1()
    {
        var id = (await Catalog.CreateAsync(CatalogService.Product())).GetProperty("id").GetString()!;

        using var delete = await Catalog.Http.DeleteAsync($"products/{id}");

        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Catalog.Http.GetAsync($"products/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Catalog.Http.DeleteAsync($"products/{id}")).StatusCode);
        var deleted = (await _topic.WaitForAsync(e => e.Any(x => x.GetProperty("type").GetString() == "product.deleted.v1")))
            .Single(x => x.GetProperty("type").GetString() == "product.deleted.v1");
        Assert.True(deleted.GetProperty("data").GetProperty("deleted").GetBoolean());
        Assert.Equal(2, deleted.GetProperty("data").GetProperty("version").GetInt64());
        var page = await ListAsync("products?includeDeleted=true");
        Assert.True(page.GetProperty("items").EnumerateArray().Single().GetProperty("deleted").GetBoolean());
        Assert.Empty((await ListAsync("products")).GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task products_created_concurrently_are_all_listed_once_in_id_order_across_pages()
    {
        var created = await Task.WhenAll(Enumerable.Range(1, 24).Select(i => Catalog.CreateAsync(CatalogService.Product(sku: $"SKU-{i}"))));
        var expected = created.Select(p => p.GetProperty("id").GetString()!).Order(StringComparer.Ordinal).ToList();

        var listed = new List<string>();
        string? afterId = null;
        var pages = 0;
        do
        {
            var page = await ListAsync($"products?limit=5{(afterId is null ? "" : $"&afterId={afterId}")}");
            listed.AddRange(page.GetProperty("items").EnumerateArray().Select(p => p.GetProperty("id").GetString()!));
            afterId = page.GetProperty("nextAfterId").GetString();
            pages++;
        }
        while (afterId is not null);

        Assert.Equal(expected, listed);
        Assert.InRange(pages, 5, 6);
    }

    [Fact]
    public async Task a_malformed_paging_request_is_refused_with_a_400_naming_the_parameter()
    {
        using var badAfter = await Catalog.Http.GetAsync("products?afterId=zz");
        using var badLimit = await Catalog.Http.GetAsync("products?limit=0");

        Assert.Equal(HttpStatusCode.BadRequest, badAfter.StatusCode);
        Assert.True((await badAfter.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("afterId", out _));
        Assert.Equal(HttpStatusCode.BadRequest, badLimit.StatusCode);
        Assert.True((await badLimit.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("limit", out _));
    }

    [Fact]
    public async Task an_unknown_product_is_not_found()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await Catalog.Http.GetAsync($"products/{Guid.NewGuid():N}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Catalog.Http.GetAsync("products/not-an-id")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await PutAsync(Guid.NewGuid().ToString("N"), CatalogService.Product(), ifMatch: null)).StatusCode);
    }

    private async Task<HttpResponseMessage> PutAsync(string id, object product, string? ifMatch)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, $"products/{id}") { Content = JsonContent.Create(product) };
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        return await Catalog.Http.SendAsync(request);
    }

    private async Task<JsonElement> ListAsync(string url) => await Catalog.Http.GetFromJsonAsync<JsonElement>(url);
}

public sealed class PostgresCatalogApiTests(SharedServers servers) : CatalogApiTests(servers)
{
    private string _database = null!;

    protected override async Task<string> CatalogStoreYamlAsync()
    {
        _database = await Servers.NewDatabaseAsync("catalog");
        return ComponentFiles.CatalogStore(StoreKind.Postgres, _database);
    }

    [Fact]
    public async Task postgresql_keeps_the_product_as_a_jsonb_document_not_as_bytes()
    {
        var id = (await Catalog.CreateAsync(CatalogService.Product())).GetProperty("id").GetString();

        await using var connection = new Npgsql.NpgsqlConnection(_database);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("SELECT jsonb_typeof(value), isbinary, value->>'name' FROM state WHERE key = $1", connection)
        {
            Parameters = { new() { Value = $"catalog||product-{id}" } },
        };
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal("object", reader.GetString(0));
        Assert.False(reader.GetBoolean(1));
        Assert.Equal("Crème brûlée", reader.GetString(2));
    }
}

public sealed class InMemoryCatalogApiTests(SharedServers servers) : CatalogApiTests(servers)
{
    protected override Task<string> CatalogStoreYamlAsync() => Task.FromResult(ComponentFiles.CatalogStore(StoreKind.InMemory, null));
}
