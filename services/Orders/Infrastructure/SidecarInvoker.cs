using Dapr.Client;

namespace Orders.Infrastructure;

/// <summary>
/// Service invocation through this app's sidecar as plain HTTP (the SDK's guidance since DaprClient.InvokeMethod* was
/// made obsolete): a request to <c>http://{app-id}/{method}</c> is sent to the sidecar, which forwards it to that app.
/// The sidecar's address and API token come from DAPR_HTTP_ENDPOINT / DAPR_HTTP_PORT / DAPR_API_TOKEN.
/// </summary>
public sealed class SidecarInvoker : IDisposable
{
    private readonly HttpClient _http;

    public SidecarInvoker()
    {
        _http = DaprClient.CreateInvokeHttpClient();
        // Callers hold a request (or an outbox row's lock) while waiting; a hanging app must not hold them for long.
        _http.Timeout = TimeSpan.FromSeconds(10);
    }

    public static Uri MethodUri(string appId, string method) => new($"http://{appId}/{method}");

    public Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct) => _http.SendAsync(request, ct);

    public void Dispose() => _http.Dispose();
}
