using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapr.Client;
using LocalSidecar.Tests.Infrastructure;

namespace LocalSidecar.Tests.Conformance;

/// <summary>
/// Service invocation as an app sees it: the caller talks to its own sidecar, the callee's sidecar calls the callee
/// app, status codes, headers and bodies pass through, and the callee learns who called.
/// </summary>
public sealed class InvocationConformance : IAsyncLifetime
{
    private readonly DirectoryInfo _names = Directory.CreateTempSubdirectory("names-");
    private TestSubscriberApp _callee = null!;
    private TestSidecar _calleeSidecar = null!;
    private TestSidecar _callerSidecar = null!;

    public async Task InitializeAsync()
    {
        _callee = await TestSubscriberApp.StartAsync(new Dictionary<string, string?> { ["APP_API_TOKEN"] = "app-secret" });
        _calleeSidecar = await TestSidecar.StartAsync("inventory", [], appPort: _callee.Port, appApiToken: "app-secret", nameResolutionDirectory: _names.FullName);
        _callerSidecar = await TestSidecar.StartAsync("checkout", [], nameResolutionDirectory: _names.FullName);
    }

    public async Task DisposeAsync()
    {
        await _callerSidecar.DisposeAsync();
        await _calleeSidecar.DisposeAsync();
        await _callee.DisposeAsync();
        _names.Delete(recursive: true);
    }

    private sealed record Echo(string Method, string Path, string Query, Dictionary<string, string> Headers, string Body);

    [Fact]
    public async Task the_sdk_invokes_another_app_through_both_sidecars_and_the_callee_learns_the_caller()
    {
        // The SDK's recommended way in 1.19: an HttpClient whose http://{appId}/ base address the SDK rewrites to the sidecar.
        using var http = _callerSidecar.Client.CreateInvokableHttpClient("inventory");

        var response = await http.PostAsJsonAsync("echo/reserve?sku=A1", new { quantity = 2 });
        var echo = (await response.Content.ReadFromJsonAsync<Echo>())!;

        Assert.Equal("POST", echo.Method);
        Assert.Equal("/echo/reserve", echo.Path);
        Assert.Equal("?sku=A1", echo.Query);
        Assert.Equal("{\"quantity\":2}", echo.Body);
        Assert.Equal("checkout", echo.Headers["dapr-caller-app-id"]);
        Assert.Equal("inventory", echo.Headers["dapr-callee-app-id"]);
        Assert.Equal("app-secret", echo.Headers["dapr-api-token"]); // the callee's APP_API_TOKEN, added by its sidecar
    }

    [Fact]
    public async Task status_codes_headers_and_bodies_pass_through_unchanged()
    {
        var response = await _callerSidecar.Http.PutAsync("/v1.0/invoke/inventory/method/echo/x?status=409&header=X-Reason:out-of-stock",
            new StringContent("payload"));

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("out-of-stock", response.Headers.GetValues("X-Reason").Single());
        Assert.Equal("payload", (await response.Content.ReadFromJsonAsync<Echo>())!.Body);
    }

    [Fact]
    public async Task the_dapr_app_id_header_routes_a_plain_path_to_the_target_app()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/echo/by-header");
        request.Headers.Add("dapr-app-id", "inventory");

        var response = await _callerSidecar.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/echo/by-header", (await response.Content.ReadFromJsonAsync<Echo>())!.Path);
    }

    [Fact]
    public async Task an_unknown_app_id_gets_daprds_error_body()
    {
        var response = await _callerSidecar.Http.GetAsync("/v1.0/invoke/nobody/method/anything");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var error = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("ERR_DIRECT_INVOKE", error.GetProperty("errorCode").GetString());
        Assert.Contains("nobody", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task the_w3c_traceparent_reaches_the_callee()
    {
        const string traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1.0/invoke/inventory/method/echo/traced");
        request.Headers.Add("traceparent", traceparent);
        // The sidecars run in this test process, so their tracing would make this client start a trace of its own;
        // a client without a propagator sends the header as an outside caller would.
        using var client = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = null }) { BaseAddress = _callerSidecar.Http.BaseAddress };

        var echo = await (await client.SendAsync(request)).Content.ReadFromJsonAsync<Echo>();

        // The trace id survives both hops; each hop may add its own span id.
        Assert.Equal(ActivityTraceId.CreateFromString("0af7651916cd43dd8448eb211c80319c"),
            ActivityContext.Parse(echo!.Headers["traceparent"], null).TraceId);
    }

    [Fact]
    public async Task an_invoke_http_client_from_the_sdk_reaches_the_app()
    {
        var http = DaprClient.CreateInvokeHttpClient("inventory", _callerSidecar.Host.HttpEndpoint);

        var echo = await http.GetFromJsonAsync<Echo>("/echo/via-http-client");

        Assert.Equal("/echo/via-http-client", echo!.Path);
    }
}
