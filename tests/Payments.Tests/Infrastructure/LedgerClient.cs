using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Payments.Tests.Infrastructure;

/// <summary>The payments API as the saga and the transfer workflow call it, through the sidecar.</summary>
public sealed class LedgerClient(HttpClient api)
{
    public static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    public Task<HttpResponseMessage> DepositAsync(string accountId, decimal amount, string currency = "EUR", string? depositId = null) =>
        api.PostAsJsonAsync($"accounts/{accountId}/deposits", new { depositId = depositId ?? NewId("dep"), amount, currency });

    /// <summary>A new account holding <paramref name="amount"/>.</summary>
    public async Task<string> OpenAsync(decimal amount, string currency = "EUR")
    {
        var accountId = NewId("acc");
        using var response = await DepositAsync(accountId, amount, currency);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return accountId;
    }

    public Task<HttpResponseMessage> AuthorizeAsync(string orderId, string accountId, decimal amount, string currency = "EUR") =>
        api.PostAsJsonAsync($"payments/{orderId}/authorize", new { accountId, amount, currency });

    public Task<HttpResponseMessage> PostAsync(string path) => api.PostAsync(path, content: null);

    public Task<HttpResponseMessage> PostAsync(string path, object body) => api.PostAsJsonAsync(path, body);

    public Task<HttpResponseMessage> GetAsync(string path) => api.GetAsync(path);

    /// <summary>The account, or null when it does not exist.</summary>
    public async Task<JsonElement?> AccountAsync(string accountId)
    {
        using var response = await api.GetAsync($"accounts/{accountId}");
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    public async Task<(decimal Balance, decimal Held, decimal Available, long Version)> BalancesAsync(string accountId)
    {
        var account = await AccountAsync(accountId) ?? throw new InvalidOperationException($"no account {accountId}");
        return (account.GetProperty("balance").GetDecimal(), account.GetProperty("held").GetDecimal(),
            account.GetProperty("available").GetDecimal(), account.GetProperty("version").GetInt64());
    }

    /// <summary>The merchant's balance, 0 before its first capture.</summary>
    public async Task<decimal> BalanceOrZeroAsync(string accountId) =>
        await AccountAsync(accountId) is { } account ? account.GetProperty("balance").GetDecimal() : 0m;

    public async Task<decimal> TotalAsync(string currency = "EUR")
    {
        var totals = await api.GetFromJsonAsync<Dictionary<string, decimal>>("ledger/total");
        return totals!.GetValueOrDefault(currency);
    }

    public async Task<JsonElement[]> HistoryAsync(string accountId)
    {
        using var response = await api.GetAsync($"accounts/{accountId}/history");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement[]>())!;
    }

    public static async Task<JsonElement> OkAsync(HttpResponseMessage response)
    {
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>Asserts a problem details answer with this status and <c>code</c>.</summary>
    public static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status} {code}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal(code, problem.GetProperty("code").GetString());
        return problem;
    }
}
