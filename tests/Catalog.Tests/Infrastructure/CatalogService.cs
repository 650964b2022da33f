using System.Net.Http.Json;
using System.Text.Json;
using Dapr.Testing;
using Dapr.Testing.Apps;

namespace Catalog.Tests.Infrastructure;

/// <summary>
/// The catalog as it runs for real: its built assembly and a local sidecar as two processes, with the repository's
/// catalog-store and pubsub components (pub/sub on a Redis of the test's own, since streams are shared by topic name).
/// </summary>
public sealed class CatalogService : IAsyncDisposable
{
    public const string AppId = "catalog";
    public const string Topic = "catalog.products";

    private readonly DirectoryInfo _resources;
    private readonly DaprApp _app;

    private CatalogService(DirectoryInfo resources, DaprApp app)
    {
        _resources = resources;
        _app = app;
        Http = app.CreateInvokeClient();
    }

    /// <summary>Calls the catalog through its sidecar's invocation API, as another app would.</summary>
    public HttpClient Http { get; }

    public DaprApp App => _app;

    public static async Task<CatalogService> StartAsync(string catalogStoreYaml, RedisServer broker, string nameResolutionDirectory)
    {
        var resources = Directory.CreateTempSubdirectory("catalog-resources-");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(resources.FullName, "catalog-store.yaml"), catalogStoreYaml);
            await File.WriteAllTextAsync(Path.Combine(resources.FullName, "pubsub.yaml"), ComponentFiles.PubSub(broker));
            var app = await DaprApp.StartAsync(new DaprAppOptions
            {
                AppId = AppId,
                AppAssembly = BuildOutput.Assembly(Path.Combine("services", "Catalog"), "Catalog"),
                ResourcesPaths = [resources.FullName],
                NameResolutionDirectory = nameResolutionDirectory,
            });
            return new CatalogService(resources, app);
        }
        catch
        {
            resources.Delete(recursive: true);
            throw;
        }
    }

    public async Task<JsonElement> CreateAsync(object product)
    {
        using var response = await Http.PostAsJsonAsync("products", product);
        Assert.True(response.IsSuccessStatusCode, $"create answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}\n{_app.Output}");
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.DisposeAsync();
        _resources.Delete(recursive: true);
    }

    public static object Product(string sku = "DESSERT-1", string name = "Crème brûlée", decimal price = 4.5m, string category = "desserts",
        string? description = "Vanilla custard under a layer of burnt sugar") =>
        new { sku, name, description, price, currency = "EUR", category, attributes = new { allergens = new[] { "milk", "egg" } } };
}
