using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Cart.Tests.Infrastructure;
using Dapr.Testing;
using Dapr.Testing.Apps;

namespace Cart.Tests.Service;

/// <summary>The cart's state store as shipped in <c>components/cart-store.yaml</c>: reachable by the cart only.</summary>
[Collection(SharedServers.Collection)]
public sealed class ShippedComponentTests(SharedServers servers) : IAsyncLifetime
{
    private string _resources = null!;
    private string _names = null!;

    public async Task InitializeAsync()
    {
        _resources = Directory.CreateTempSubdirectory("cart-shipped-").FullName;
        _names = Directory.CreateTempSubdirectory("cart-names-").FullName;
        var shipped = await File.ReadAllTextAsync(Path.Combine(BuildOutput.RepositoryRoot, "components", "cart-store.yaml"));
        // The one change a test needs: the throwaway Redis instead of the developer's localhost:6379.
        Assert.Contains("localhost:6379", shipped);
        await File.WriteAllTextAsync(Path.Combine(_resources, "cart-store.yaml"), shipped.Replace("localhost:6379", servers.Redis.Endpoint, StringComparison.Ordinal));
        // The other app has a store of its own, so that its sidecar answers "no such store" rather than "no stores at all".
        await File.WriteAllTextAsync(Path.Combine(_resources, "orders-store.yaml"),
            ComponentFiles.Component(CartApp.OtherAppsStore, "state.in-memory", [], scopes: ["orders"]));
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_resources, recursive: true);
        Directory.Delete(_names, recursive: true);
        return Task.CompletedTask;
    }

    [Theory]
    [InlineData("cart", HttpStatusCode.NoContent)]
    [InlineData("orders", HttpStatusCode.BadRequest)]
    public async Task only_the_cart_reaches_the_cart_store(string appId, HttpStatusCode expected)
    {
        await using var sidecar = await DaprApp.StartAsync(new DaprAppOptions
        {
            AppId = appId,
            ResourcesPaths = [_resources],
            NameResolutionDirectory = _names,
        });
        using var http = new HttpClient { BaseAddress = sidecar.SidecarHttp };

        using var response = await http.GetAsync($"/v1.0/state/{CartApp.StoreName}/cart:{CartCalls.NewCustomer()}");

        Assert.Equal(expected, response.StatusCode);
        if (expected == HttpStatusCode.BadRequest)
        {
            Assert.Equal("ERR_STATE_STORE_NOT_FOUND", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errorCode").GetString());
        }
    }
}
