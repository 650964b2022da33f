using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;

namespace ServiceDefaults.Tests;

public sealed class BehaviourTopicTests(SubscriberAppFixture fixture) : IClassFixture<SubscriberAppFixture>
{
    private const string Traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    private HttpClient Client => fixture.Client;

    [Fact]
    public async Task Retry_answers_RETRY_and_records_the_raw_envelope_headers_and_attempt()
    {
        var id = NewId();
        var envelope = CloudEvents.Envelope(new JsonObject { ["id"] = id, ["action"] = "retry" });

        using var response = await Client.SendAsync(CloudEvents.Post("/behaviour", envelope, Traceparent));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"status":"RETRY"}"""), JsonNode.Parse(await response.Content.ReadAsStringAsync())));

        var delivery = Assert.Single(await Deliveries.OfAsync(Client, "behaviour", id));
        Assert.Equal(1, (int)delivery["attempt"]!);
        Assert.Equal("/behaviour", (string?)delivery["route"]);
        // The envelope as sent, not the data UseCloudEvents hands the endpoint.
        Assert.Equal(envelope, (string?)delivery["rawBody"]);
        Assert.Equal(CloudEvents.ContentType, (string?)delivery["contentType"]);
        Assert.Equal(Traceparent, (string?)delivery["headers"]!["traceparent"]);
        Assert.True(DateTimeOffset.UtcNow - DateTimeOffset.Parse((string)delivery["receivedAt"]!, System.Globalization.CultureInfo.InvariantCulture) < TimeSpan.FromMinutes(1));
    }

    [Theory]
    [InlineData("success", HttpStatusCode.OK, "")]
    [InlineData("drop", HttpStatusCode.OK, """{"status":"DROP"}""")]
    [InlineData("notfound", HttpStatusCode.NotFound, "")]
    [InlineData("error", HttpStatusCode.InternalServerError, "")]
    public async Task Each_action_answers_as_daprd_expects(string action, HttpStatusCode status, string body)
    {
        var id = NewId();

        using var response = await Client.SendAsync(CloudEvents.Post("/behaviour", CloudEvents.Envelope(new JsonObject { ["id"] = id, ["action"] = action })));

        Assert.Equal(status, response.StatusCode);
        Assert.Equal(body, await response.Content.ReadAsStringAsync());
        Assert.Single(await Deliveries.OfAsync(Client, "behaviour", id));
    }

    [Fact]
    public async Task Fail_then_succeed_answers_500_for_failTimes_attempts_then_200_counting_attempts_per_id()
    {
        var id = NewId();
        var envelope = CloudEvents.Envelope(new JsonObject { ["id"] = id, ["action"] = "fail-then-succeed", ["failTimes"] = 2 });

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await Client.SendAsync(CloudEvents.Post("/behaviour", envelope));
            statuses.Add(response.StatusCode);
        }

        Assert.Equal([HttpStatusCode.InternalServerError, HttpStatusCode.InternalServerError, HttpStatusCode.OK], statuses);
        Assert.Equal([1, 2, 3], (await Deliveries.OfAsync(Client, "behaviour", id)).Select(d => (int)d["attempt"]!));
    }

    [Fact]
    public async Task Hang_with_hangMs_waits_that_long_then_succeeds()
    {
        var id = NewId();
        var watch = Stopwatch.StartNew();

        using var response = await Client.SendAsync(CloudEvents.Post("/behaviour", CloudEvents.Envelope(new JsonObject { ["id"] = id, ["action"] = "hang", ["hangMs"] = 300 })));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(300), $"answered after {watch.Elapsed}");
    }

    [Fact]
    public async Task Hang_without_hangMs_is_recorded_while_hanging_and_does_not_hold_up_stopping_the_app()
    {
        await using var app = await TestHosts.StartSubscriberAppAsync();
        var id = NewId();
        var hanging = app.Client.SendAsync(CloudEvents.Post("/behaviour", CloudEvents.Envelope(new JsonObject { ["id"] = id, ["action"] = "hang" })));

        await Deliveries.WaitForAsync(app.Client, "behaviour", id, TimeSpan.FromSeconds(10));
        Assert.False(hanging.IsCompleted);

        var watch = Stopwatch.StartNew();
        await app.App.StopAsync();

        // Far below the host's 30 s shutdown timeout: the handler let go as soon as the app began stopping,
        // and answered 500 so that a real sidecar would redeliver.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"stopping took {watch.Elapsed}");
        using var response = await hanging;
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
    }

    [Fact]
    public async Task Invalid_event_data_gets_a_validation_problem_naming_each_field_and_is_not_recorded()
    {
        var ceId = NewId();

        using var response = await Client.SendAsync(CloudEvents.Post("/behaviour", CloudEvents.Envelope(new JsonObject { ["action"] = "explode" }, id: ceId)));

        var problem = await AssertValidationProblemAsync(response);
        Assert.Equal(["Action", "Id"], problem["errors"]!.AsObject().Select(e => e.Key).Order());
        Assert.Empty(await Deliveries.OfAsync(Client, "behaviour", ceId));
    }

    [Fact]
    public async Task Fail_then_succeed_without_failTimes_gets_a_validation_problem_naming_FailTimes()
    {
        var id = NewId();

        using var response = await Client.SendAsync(CloudEvents.Post("/behaviour", CloudEvents.Envelope(new JsonObject { ["id"] = id, ["action"] = "fail-then-succeed" })));

        var problem = await AssertValidationProblemAsync(response);
        Assert.Equal(["FailTimes"], problem["errors"]!.AsObject().Select(e => e.Key));
        Assert.Empty(await Deliveries.OfAsync(Client, "behaviour", id));
    }

    internal static async Task<JsonObject> AssertValidationProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        Assert.Equal(400, (int)problem["status"]!);
        Assert.False(string.IsNullOrEmpty((string?)problem["title"]));
        Assert.False(string.IsNullOrEmpty((string?)problem["type"]));
        return problem;
    }

    private static string NewId() => Guid.NewGuid().ToString("N");
}
