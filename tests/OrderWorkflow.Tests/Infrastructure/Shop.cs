using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace OrderWorkflow.Tests.Infrastructure;

/// <summary>
/// The system as its users and the services see it: every call goes through a sidecar's invoke API. The records
/// below are the contracts of docs/checkout-saga.md as a consumer reads them.
/// </summary>
public sealed class Shop(CheckoutSystem system) : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly HttpClient _customers = system.Customers.CreateInvokeClient();
    private readonly HttpClient _cart = system.Cart.CreateInvokeClient();
    private readonly HttpClient _inventory = system.Inventory.CreateInvokeClient();
    private readonly HttpClient _payments = system.Payments.CreateInvokeClient();
    private readonly HttpClient _orders = system.Orders.CreateInvokeClient();
    private readonly HttpClient _workflow = system.Workflow.CreateInvokeClient();

    /// <summary>A customer with a payment account holding <paramref name="funds"/>.</summary>
    public async Task<string> NewCustomerAsync(decimal funds)
    {
        var unique = Guid.NewGuid().ToString("N")[..10];
        using var created = await _customers.PostAsJsonAsync("customers", new { email = $"c{unique}@example.com", name = $"Customer {unique}" });
        await EnsureAsync(created);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>(Json)).GetProperty("id").GetString()!;
        if (funds > 0)
        {
            await DepositAsync(id, funds);
        }

        return id;
    }

    public async Task DepositAsync(string accountId, decimal amount)
    {
        using var response = await _payments.PostAsJsonAsync($"accounts/{accountId}/deposits", new { depositId = Guid.NewGuid().ToString(), amount, currency = CheckoutSystem.Currency });
        await EnsureAsync(response);
    }

    /// <summary>A SKU nobody else uses, with this much on hand.</summary>
    public async Task<string> NewSkuAsync(int onHand)
    {
        var sku = "SKU-" + Guid.NewGuid().ToString("N")[..10].ToUpperInvariant();
        using var response = await _inventory.PutAsJsonAsync($"stock/{sku}", new { onHand });
        await EnsureAsync(response);
        return sku;
    }

    public static OrderLine Line(string sku, int quantity, decimal unitPrice) =>
        new("p-" + sku.ToLowerInvariant(), sku, "Product " + sku, unitPrice, CheckoutSystem.Currency, quantity);

    /// <summary>Checkout as the cart does it: orders' <c>POST /orders</c>.</summary>
    public async Task<HttpResponseMessage> CheckoutAsync(string orderId, string customerId, params OrderLine[] lines) =>
        await _orders.PostAsJsonAsync("orders", new { orderId, customerId, lines });

    /// <summary>Checks out and waits until the saga has ended.</summary>
    public async Task<Saga> CheckoutAndWaitAsync(string customerId, params OrderLine[] lines)
    {
        var orderId = Guid.NewGuid().ToString();
        using var response = await CheckoutAsync(orderId, customerId, lines);
        await EnsureAsync(response);
        return await WaitForSagaAsync(orderId);
    }

    public async Task<HttpResponseMessage> AddToCartAsync(string customerId, OrderLine line) =>
        await _cart.PostAsJsonAsync($"carts/{customerId}/items",
            new { productId = line.ProductId, sku = line.Sku, name = line.Name, unitPrice = line.UnitPrice, currency = line.Currency, quantity = line.Quantity });

    public async Task<HttpResponseMessage> CheckoutCartAsync(string customerId, string orderId) =>
        await _cart.PostAsJsonAsync($"carts/{customerId}/checkout", new { orderId });

    public async Task<Saga?> GetSagaAsync(string orderId) => await GetAsync<Saga>(_workflow, $"sagas/orders/{orderId}");

    /// <summary>Polls until the workflow is no longer running (Completed, Failed or Terminated).</summary>
    public async Task<Saga> WaitForSagaAsync(string orderId, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            if (await GetSagaAsync(orderId) is { Status: "Completed" or "Failed" or "Terminated" } saga)
            {
                return saga;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the saga of order {orderId} did not end: {JsonSerializer.Serialize(await GetSagaAsync(orderId))}\n{system.Output}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Polls until the saga reports this step in its custom status.</summary>
    public async Task WaitForStepAsync(string orderId, string step, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while ((await GetSagaAsync(orderId))?.Progress?.Step != step)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the saga of order {orderId} never reached {step}: {JsonSerializer.Serialize(await GetSagaAsync(orderId))}");
            await Task.Delay(100);
        }
    }

    public async Task ApproveAsync(string orderId, bool approved)
    {
        using var response = await _workflow.PostAsJsonAsync($"sagas/orders/{orderId}/approval", new { approved, by = "test" });
        await EnsureAsync(response);
    }

    public async Task<HttpResponseMessage> StartTransferAsync(string transferId, string from, string to, decimal amount, TimeSpan? settleAfter = null) =>
        await _workflow.PostAsJsonAsync("transfers", new { transferId, from, to, amount, currency = CheckoutSystem.Currency, settleAfter });

    public async Task<TransferView?> GetTransferAsync(string transferId) => await GetAsync<TransferView>(_workflow, $"transfers/{transferId}");

    public async Task<TransferView> WaitForTransferAsync(string transferId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (await GetTransferAsync(transferId) is { Status: "Completed" or "Failed" or "Terminated" } transfer)
            {
                return transfer;
            }

            Assert.True(DateTime.UtcNow < deadline, $"transfer {transferId} did not end\n{system.Output}");
            await Task.Delay(100);
        }
    }

    public async Task<PaymentTransfer?> GetPaymentTransferAsync(string transferId) => await GetAsync<PaymentTransfer>(_payments, $"transfers/{transferId}");

    public async Task<Order> GetOrderAsync(string orderId) => await GetAsync<Order>(_orders, $"orders/{orderId}") ?? throw new InvalidOperationException($"no order {orderId}");

    public async Task<Stock> GetStockAsync(string sku) => await GetAsync<Stock>(_inventory, $"stock/{sku}") ?? throw new InvalidOperationException($"no stock {sku}");

    public async Task<Reservation?> GetReservationAsync(string orderId) => await GetAsync<Reservation>(_inventory, $"reservations/{orderId}");

    public async Task<Account> GetAccountAsync(string accountId) => await GetAsync<Account>(_payments, $"accounts/{accountId}") ?? throw new InvalidOperationException($"no account {accountId}");

    /// <summary>The merchant's account: absent until the first capture.</summary>
    public async Task<decimal> MerchantBalanceAsync() => (await GetAsync<Account>(_payments, "accounts/merchant"))?.Balance ?? 0m;

    public async Task<Payment?> GetPaymentAsync(string orderId) => await GetAsync<Payment>(_payments, $"payments/{orderId}");

    public async Task<IReadOnlyList<LedgerEntry>> GetHistoryAsync(string accountId) =>
        await GetAsync<List<LedgerEntry>>(_payments, $"accounts/{accountId}/history") ?? [];

    public async Task<decimal> LedgerTotalAsync()
    {
        var totals = await GetAsync<Dictionary<string, decimal>>(_payments, "ledger/total") ?? [];
        return totals.GetValueOrDefault(CheckoutSystem.Currency);
    }

    public async Task<HttpResponseMessage> CloseAccountAsync(string accountId) => await _payments.PostAsync($"accounts/{accountId}/close", null);

    private static async Task<T?> GetAsync<T>(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return default;
        }

        await EnsureAsync(response);
        return await response.Content.ReadFromJsonAsync<T>(Json);
    }

    public static async Task EnsureAsync(HttpResponseMessage response)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    public void Dispose()
    {
        foreach (var client in new[] { _customers, _cart, _inventory, _payments, _orders, _workflow })
        {
            client.Dispose();
        }
    }
}

public sealed record OrderLine(string ProductId, string Sku, string Name, decimal UnitPrice, string Currency, int Quantity);

public sealed record Saga(string InstanceId, string Status, SagaStep? Progress, SagaOutput? Output, string? Failure);

public sealed record SagaStep(string Step, string? Reason);

public sealed record SagaOutput(string OrderId, string Outcome, string? Reason);

public sealed record TransferView(string InstanceId, string Status, SagaStep? Progress, TransferOutput? Output, string? Failure);

public sealed record TransferOutput(string TransferId, string Outcome, string? Reason);

public sealed record PaymentTransfer(string TransferId, string From, string? To, decimal Amount, string Currency, string Status);

public sealed record Order(
    string OrderId, string CustomerId, CustomerCopy? Customer, decimal Total, string Currency, string Status,
    string? CancellationReason, bool NeedsAttention, string? AttentionReason, IReadOnlyList<StatusChange> History);

public sealed record CustomerCopy(string Name, string Email, int Version);

public sealed record StatusChange(string Status, string? Reason, DateTimeOffset At);

public sealed record Stock(string Sku, int OnHand, int Reserved, int Available);

public sealed record Reservation(string OrderId, string Status, IReadOnlyList<ReservedLine> Lines);

public sealed record ReservedLine(string Sku, int Quantity);

public sealed record Account(string AccountId, decimal Balance, decimal Held, decimal Available, string Currency, long Version, bool Closed);

public sealed record Payment(string OrderId, string AccountId, decimal Amount, string Currency, string Status);

public sealed record LedgerEntry(long Version, string Type, JsonElement Data, DateTimeOffset Timestamp);
