using System.Net;
using System.Text.Json.Nodes;

namespace ServiceDefaults.Tests;

public sealed class AppApiTokenTests : IAsyncLifetime
{
    private const string Token = "app-token-for-tests";
    private RunningApp _app = null!;

    public async Task InitializeAsync() =>
        _app = await TestHosts.StartSubscriberAppAsync(new Dictionary<string, string?> { ["APP_API_TOKEN"] = Token });

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Theory]
    [InlineData("/deliveries")]
    [InlineData("/dapr/subscribe")]
    [InlineData("/echo/anything")]
    public async Task Endpoints_answer_401_without_the_token_and_with_a_wrong_one_and_200_with_it(string path)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(HttpMethod.Get, path, token: null));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(HttpMethod.Get, path, token: "wrong"));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(HttpMethod.Get, path, token: Token));
    }

    [Fact]
    public async Task A_delivery_without_the_token_is_rejected_before_it_is_recorded()
    {
        var id = Guid.NewGuid().ToString("N");
        var envelope = CloudEvents.Envelope(new JsonObject { ["id"] = id, ["action"] = "success" });

        using var rejected = await _app.Client.SendAsync(CloudEvents.Post("/behaviour", envelope));
        using var accepted = await _app.Client.SendAsync(WithToken(CloudEvents.Post("/behaviour", envelope), Token));

        Assert.Equal(HttpStatusCode.Unauthorized, rejected.StatusCode);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        using var list = await _app.Client.SendAsync(WithToken(new HttpRequestMessage(HttpMethod.Get, "/deliveries?topic=behaviour"), Token));
        var deliveries = JsonNode.Parse(await list.Content.ReadAsStringAsync())!.AsArray();
        Assert.Equal(1, (int)Assert.Single(deliveries, d => (string?)d!["id"] == id)!["attempt"]!);
    }

    [Fact]
    public async Task Health_endpoints_stay_open_without_the_token()
    {
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(HttpMethod.Get, "/alive", token: null));
        // Unhealthy only because no sidecar runs here: the point is that it is not 401.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await StatusAsync(HttpMethod.Get, "/health", token: null));
    }

    [Fact]
    public async Task Unknown_paths_answer_401_without_the_token_so_they_reveal_nothing()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(HttpMethod.Get, "/no-such-path", token: null));
        Assert.Equal(HttpStatusCode.NotFound, await StatusAsync(HttpMethod.Get, "/no-such-path", token: Token));
    }

    private async Task<HttpStatusCode> StatusAsync(HttpMethod method, string path, string? token)
    {
        using var response = await _app.Client.SendAsync(WithToken(new HttpRequestMessage(method, path), token));
        return response.StatusCode;
    }

    private static HttpRequestMessage WithToken(HttpRequestMessage request, string? token)
    {
        if (token is not null)
        {
            request.Headers.Add("dapr-api-token", token);
        }

        return request;
    }
}
