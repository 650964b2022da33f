using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Dapr.Testing.Apps;

namespace Benchmarks.Saga;

/// <summary>An order line as orders' <c>POST /orders</c> takes it (docs/checkout-saga.md).</summary>
public sealed record OrderLine(string ProductId, string Sku, string Name, decimal UnitPrice, string Currency, int Quantity);

/// <summary>
/// The checkout system as a client sees it: every call is service invocation through the called app's own sidecar,
/// as another app of the system would make it, so the benchmark pays the same hops the services do.
/// </summary>
public sealed class Storefront : IDisposable
{
    public const string Currency = "EUR";
    public const decimal UnitPrice = 10m;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly HttpClient _customers;
    private readonly HttpClient _inventory;
    private readonly HttpClient _payments;
    private readonly HttpClient _orders;

    public Storefront(CheckoutApps apps)
    {
        _customers = Client(apps.Customers);
        _inventory = Client(apps.Inventory);
        _payments = Client(apps.Payments);
        _orders = Client(apps.Orders);
    }

    /// <summary>Customers with a payment account holding <paramref name="funds"/> each; returns their ids.</summary>
    public async Task<IReadOnlyList<string>> CreateCustomersAsync(int count, decimal funds, CancellationToken ct)
    {
        var ids = new string[count];
        await Parallel.ForAsync(0, count, Seeding(ct), async (i, token) =>
        {
            var email = string.Create(CultureInfo.InvariantCulture, $"bench-{i}-{Guid.NewGuid():N}@example.com");
            using var created = await _customers.PostAsJsonAsync("customers", new { email, name = $"Bench customer {i}" }, token).ConfigureAwait(false);
            await EnsureAsync(created, token).ConfigureAwait(false);
            var id = (await created.Content.ReadFromJsonAsync<JsonElement>(Json, token).ConfigureAwait(false)).GetProperty("id").GetString()
                     ?? throw new InvalidOperationException("customers answered a customer without an id");
            using var deposit = await _payments.PostAsJsonAsync($"accounts/{id}/deposits",
                new { depositId = Guid.NewGuid().ToString(), amount = funds, currency = Currency }, token).ConfigureAwait(false);
            await EnsureAsync(deposit, token).ConfigureAwait(false);
            ids[i] = id;
        }).ConfigureAwait(false);
        return ids;
    }

    public async Task SetStockAsync(IReadOnlyList<string> skus, int onHand, CancellationToken ct)
        => await Parallel.ForEachAsync(skus, Seeding(ct), async (sku, token) =>
        {
            using var response = await _inventory.PutAsJsonAsync($"stock/{sku}", new { onHand }, token).ConfigureAwait(false);
            await EnsureAsync(response, token).ConfigureAwait(false);
        }).ConfigureAwait(false);

    /// <summary>
    /// Checkout as the cart makes it. A refused or failed call is an answer to count, not a reason to stop the run:
    /// under overload that is part of what is measured.
    /// </summary>
    public async Task<CheckoutAnswer> CheckoutAsync(string orderId, string customerId, IReadOnlyList<OrderLine> lines, CancellationToken ct)
    {
        try
        {
            using var response = await _orders.PostAsJsonAsync("orders", new { orderId, customerId, lines }, Json, ct).ConfigureAwait(false);
            return response.IsSuccessStatusCode
                ? new CheckoutAnswer((int)response.StatusCode, null)
                : new CheckoutAnswer((int)response.StatusCode, Truncate(await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false)));
        }
        catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !ct.IsCancellationRequested))
        {
            return new CheckoutAnswer(null, $"{e.GetType().Name}: {e.Message}");
        }
    }

    public static OrderLine Line(string sku) =>
        new("p-" + sku.ToLowerInvariant(), sku, "Product " + sku, UnitPrice, Currency, 1);

    public void Dispose()
    {
        _customers.Dispose();
        _inventory.Dispose();
        _payments.Dispose();
        _orders.Dispose();
    }

    private static HttpClient Client(DaprApp app) =>
        new(new SocketsHttpHandler
        {
            // Open-loop arrivals must not queue for a connection in the client: that would be coordinated omission again.
            MaxConnectionsPerServer = int.MaxValue,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
        })
        {
            BaseAddress = new Uri(app.SidecarHttp, $"/v1.0/invoke/{app.AppId}/method/"),
            Timeout = TimeSpan.FromSeconds(60),
        };

    // Enough to overlap the round trips through two sidecars, few enough not to bury a 2-core machine while seeding.
    private static ParallelOptions Seeding(CancellationToken ct) => new() { MaxDegreeOfParallelism = 8, CancellationToken = ct };

    private static async Task EnsureAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException(
                $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false)}");
        }
    }

    private static string Truncate(string text) => text.Length <= 300 ? text : text[..300] + "…";
}
