using System.Net.Http.Json;
using System.Text.Json;
using Cart.Domain;
using Dapr.Client;

namespace Cart.Infrastructure;

/// <summary>orders' answer to a checkout, as received: the cart passes it on unchanged.</summary>
public sealed record OrdersAnswer(int StatusCode, string? ContentType, byte[] Body);

/// <summary>
/// Places orders with the orders app through this app's sidecar (service invocation as plain HTTP: the SDK's guidance
/// since DaprClient.InvokeMethod* was made obsolete). The sidecar's address comes from DAPR_HTTP_ENDPOINT / DAPR_HTTP_PORT.
/// </summary>
public sealed class OrdersClient : IDisposable
{
    public const string OrdersAppId = "orders";

    private readonly HttpClient _http;

    public OrdersClient()
    {
        _http = DaprClient.CreateInvokeHttpClient(OrdersAppId);
        // orders in turn asks customers; a hung chain must not keep the customer waiting for the default 100 s.
        _http.Timeout = TimeSpan.FromSeconds(30);
    }

    /// <summary>Sends the cart's lines as <c>POST /orders</c> (docs/checkout-saga.md, orders).</summary>
    public async Task<OrdersAnswer> PlaceOrderAsync(string orderId, ShoppingCart cart, CancellationToken ct)
    {
        var order = new
        {
            orderId,
            customerId = cart.CustomerId,
            lines = cart.Lines.Select(line => new { line.ProductId, line.Sku, line.Name, line.UnitPrice, line.Currency, line.Quantity }),
        };
        using var response = await _http.PostAsJsonAsync("orders", order, JsonSerializerOptions.Web, ct);
        return new OrdersAnswer(
            (int)response.StatusCode,
            response.Content.Headers.ContentType?.ToString(),
            await response.Content.ReadAsByteArrayAsync(ct));
    }

    public void Dispose() => _http.Dispose();
}
