using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace ServiceDefaults.Tests;

public sealed class OtherTopicsTests(SubscriberAppFixture fixture) : IClassFixture<SubscriberAppFixture>
{
    private HttpClient Client => fixture.Client;

    [Fact]
    public async Task Dead_letters_are_recorded_under_behaviour_dead_with_the_data_id()
    {
        var id = Guid.NewGuid().ToString("N");
        var envelope = CloudEvents.Envelope(new JsonObject { ["id"] = id, ["action"] = "error" });

        using var response = await Client.SendAsync(CloudEvents.Post("/dead-letters", envelope));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var delivery = Assert.Single(await Deliveries.OfAsync(Client, "behaviour-dead", id));
        Assert.Equal("/dead-letters", (string?)delivery["route"]);
        Assert.Equal(envelope, (string?)delivery["rawBody"]);
    }

    [Theory]
    [InlineData("/routed/v2")]
    [InlineData("/routed/default")]
    public async Task Both_routed_rules_record_under_topic_routed_with_their_route(string route)
    {
        var id = Guid.NewGuid().ToString("N");

        using var response = await Client.SendAsync(CloudEvents.Post(route, CloudEvents.Envelope(new JsonObject { ["id"] = id }, type: "order.v2")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var delivery = Assert.Single(await Deliveries.OfAsync(Client, "routed", id));
        Assert.Equal(route, (string?)delivery["route"]);
    }

    [Fact]
    public async Task Raw_payload_is_recorded_byte_for_byte_even_when_it_is_not_text()
    {
        byte[] payload = [0x00, 0xFF, 0x10, 0x80, 0x7F];
        using var content = new ByteArrayContent(payload);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");

        using var response = await Client.PostAsync("/raw", content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var raw = JsonNode.Parse(await Client.GetStringAsync("/deliveries?topic=raw"))!.AsArray();
        var delivery = Assert.Single(raw, d => (string?)d!["rawBodyBase64"] == Convert.ToBase64String(payload))!;
        Assert.Null((string?)delivery["id"]);
        Assert.Equal("application/octet-stream", (string?)delivery["contentType"]);
    }

    [Fact]
    public async Task Raw_json_payload_is_recorded_with_its_own_id()
    {
        var id = Guid.NewGuid().ToString("N");
        var payload = new JsonObject { ["id"] = id, ["amount"] = 12.5 }.ToJsonString();

        using var response = await Client.PostAsync("/raw", new StringContent(payload, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var delivery = Assert.Single(await Deliveries.OfAsync(Client, "raw", id));
        Assert.Equal(payload, (string?)delivery["rawBody"]);
    }

    [Fact]
    public async Task Deleting_deliveries_clears_them_and_restarts_attempt_counting()
    {
        await using var app = await TestHosts.StartSubscriberAppAsync();
        var envelope = CloudEvents.Envelope(new JsonObject { ["id"] = "same", ["action"] = "success" });
        (await app.Client.SendAsync(CloudEvents.Post("/behaviour", envelope))).Dispose();

        using var deleted = await app.Client.DeleteAsync("/deliveries");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Empty(JsonNode.Parse(await app.Client.GetStringAsync("/deliveries"))!.AsArray());
        (await app.Client.SendAsync(CloudEvents.Post("/behaviour", envelope))).Dispose();
        Assert.Equal(1, (int)Assert.Single(await Deliveries.OfAsync(app.Client, "behaviour", "same"))["attempt"]!);
    }
}
