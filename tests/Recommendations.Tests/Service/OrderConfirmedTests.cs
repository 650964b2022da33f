using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapr.Testing;
using Recommendations.Apis;
using Recommendations.Graph;

namespace Recommendations.Tests.Service;

/// <summary>
/// End to end: order.confirmed.v1 published through the sidecar with the real SDK, delivered over pubsub.redis to the
/// service process, read back through the sidecar. Each test uses product ids of its own, so they share one app.
/// </summary>
[Collection(SharedServers.Collection)]
public sealed class OrderConfirmedTests(RecommendationsApp app) : IClassFixture<RecommendationsApp>
{
    private const string Confirmed = "order.confirmed.v1";

    private static string Unique(string name) => $"{name}-{Guid.NewGuid().ToString("N")[..8]}";

    private static object Order(string customerId, params string[] productIds) => new
    {
        orderId = Unique("order"),
        customerId,
        lines = productIds.Select(productId => new { productId, sku = productId + "-sku", quantity = 2 }),
        confirmedAt = DateTimeOffset.UtcNow,
    };

    private async Task<IReadOnlyList<Recommendation>> GetAsync(string productId, string query)
    {
        var response = await app.Api.GetFromJsonAsync<ProductRecommendations>($"recommendations/{productId}/{query}?limit=100", JsonSerializerOptions.Web);
        Assert.Equal(productId, response!.ProductId);
        return response.Recommendations;
    }

    [Fact]
    public async Task a_confirmed_order_shows_up_in_both_recommendations()
    {
        string espresso = Unique("espresso"), beans = Unique("beans"), grinder = Unique("grinder");

        await app.PublishAsync(Confirmed, Order(Unique("alice"), espresso, beans, grinder));
        await app.PublishAsync(Confirmed, Order(Unique("bob"), espresso, beans));
        await app.WaitUntilAllHandledAsync();

        Assert.Equal([new(beans, 2), new(grinder, 1)], await GetAsync(espresso, "bought-together"));
        Assert.Equal([new(beans, 2), new(grinder, 1)], await GetAsync(espresso, "also-bought"));
    }

    [Fact]
    public async Task the_same_event_delivered_twice_changes_no_weight()
    {
        string kettle = Unique("kettle"), mug = Unique("mug");
        var order = Order(Unique("alice"), kettle, mug);
        var eventId = Guid.NewGuid().ToString();

        await app.PublishAsync(Confirmed, order, eventId);
        await app.PublishAsync(Confirmed, order, eventId);
        await app.WaitUntilAllHandledAsync();

        Assert.Equal([new Recommendation(mug, 1)], await GetAsync(kettle, "bought-together"));
    }

    [Fact]
    public async Task twenty_concurrent_orders_sharing_products_keep_exact_weights()
    {
        string tea = Unique("tea"), pot = Unique("pot");
        var customers = Enumerable.Range(0, 20).Select(i => Unique($"customer{i}")).ToArray();
        var extras = Enumerable.Range(0, 20).Select(i => Unique($"extra{i}")).ToArray();

        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => app.PublishAsync(Confirmed, Order(customers[i], tea, pot, extras[i]))));
        await app.WaitUntilAllHandledAsync();

        var together = await GetAsync(tea, "bought-together");
        Assert.Equal(new Recommendation(pot, 20), together[0]);
        Assert.Equal(extras.Order(), together.Skip(1).Select(r => r.ProductId).Order());
        Assert.All(together.Skip(1), r => Assert.Equal(1, r.Score));
        Assert.Equal(new Recommendation(pot, 20), (await GetAsync(tea, "also-bought"))[0]);
    }

    [Fact]
    public async Task other_event_types_on_the_topic_are_acknowledged_and_change_nothing()
    {
        string kettle = Unique("kettle"), mug = Unique("mug");

        await app.PublishAsync("order.cancelled.v1", Order(Unique("alice"), kettle, mug));
        await app.WaitUntilAllHandledAsync();

        Assert.Empty(await GetAsync(kettle, "bought-together"));
    }

    [Theory]
    [InlineData("bought-together", 0)]
    [InlineData("also-bought", 101)]
    public async Task a_limit_outside_1_to_100_is_a_400_naming_the_field(string query, int limit)
    {
        var response = await app.Api.GetAsync($"recommendations/any/{query}?limit={limit}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty("limit", out _), problem.ToString());
    }
}
