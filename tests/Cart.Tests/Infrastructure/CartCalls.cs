using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Cart.Apis;
using Cart.Events;

namespace Cart.Tests.Infrastructure;

/// <summary>What the tests do to the cart, in the words of the API.</summary>
public static class CartCalls
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static string NewCustomer() => "customer-" + Guid.NewGuid().ToString("N")[..12];

    public static string NewProduct() => "product-" + Guid.NewGuid().ToString("N")[..12];

    public static AddItemRequest Item(string productId, int quantity = 1, decimal unitPrice = 10m, string currency = "EUR") =>
        new(productId, "SKU-" + productId, "Name of " + productId, unitPrice, currency, quantity);

    public static Task<HttpResponseMessage> AddAsync(this CartApp app, string customerId, AddItemRequest item) =>
        app.Cart.PostAsJsonAsync($"carts/{customerId}/items", item, Json);

    public static async Task<CartResponse> AddOkAsync(this CartApp app, string customerId, AddItemRequest item)
    {
        using var response = await app.AddAsync(customerId, item);
        return await OkAsync(response);
    }

    public static async Task<CartResponse?> GetCartAsync(this CartApp app, string customerId)
    {
        using var response = await app.Cart.GetAsync($"carts/{customerId}");
        return response.StatusCode == HttpStatusCode.NotFound ? null : await OkAsync(response);
    }

    public static async Task<CartResponse> OkAsync(HttpResponseMessage response)
    {
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<CartResponse>(Json))!;
    }

    public static ProductChanged Product(string productId, decimal price, long version, string name = "Renamed") =>
        new(productId, "SKU-" + productId, name, price, "EUR", "books", version);

    /// <summary>Publishes as the catalog does, with the CloudEvent type and, when given, a fixed CloudEvent id.</summary>
    public static Task PublishAsync(this CartApp app, string type, ProductChanged product, string? eventId = null)
    {
        var metadata = new Dictionary<string, string> { ["cloudevent.type"] = type };
        if (eventId is not null)
        {
            metadata["cloudevent.id"] = eventId;
        }

        return app.Client.PublishEventAsync(CartApp.PubSubName, CartApp.Topic, product, metadata);
    }

    /// <summary>
    /// Posts a CloudEvent to the cart's subscription route through its sidecar, exactly as the sidecar delivers one;
    /// a redelivery is the same request again. The answer says when the cart has handled it.
    /// </summary>
    public static async Task<HttpResponseMessage> DeliverAsync(this CartApp app, string eventId, ProductChanged product)
    {
        var envelope = new
        {
            specversion = "1.0",
            id = eventId,
            source = "catalog",
            type = ProductEvents.Updated,
            datacontenttype = "application/json",
            topic = CartApp.Topic,
            pubsubname = CartApp.PubSubName,
            data = product,
        };
        var content = JsonContent.Create(envelope, new MediaTypeHeaderValue("application/cloudevents+json"), Json);
        return await app.Cart.PostAsync("events/product-updated", content);
    }
}
