using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace ServiceDefaults.Tests;

public sealed class InvocationTests(SubscriberAppFixture fixture) : IClassFixture<SubscriberAppFixture>
{
    private HttpClient Client => fixture.Client;

    [Fact]
    public async Task Echo_returns_method_path_query_headers_and_body_as_received()
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, "/echo/orders/42?b=2&a=1")
        {
            Content = new StringContent("""{"qty":3}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Correlation", "abc");

        using var response = await Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var echo = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("PUT", (string?)echo["method"]);
        Assert.Equal("/echo/orders/42", (string?)echo["path"]);
        Assert.Equal("?b=2&a=1", (string?)echo["query"]);
        Assert.Equal("abc", (string?)echo["headers"]!["x-correlation"]);
        Assert.Equal("application/json; charset=utf-8", (string?)echo["headers"]!["content-type"]);
        Assert.Equal("""{"qty":3}""", (string?)echo["body"]);
    }

    [Fact]
    public async Task Echo_answers_the_requested_status_with_the_same_body_and_added_headers()
    {
        using var response = await Client.PostAsync("/echo/x?status=503&header=X-Foo:bar&header=Retry-After:1", new StringContent("payload"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("bar", Assert.Single(response.Headers.GetValues("X-Foo")));
        Assert.Equal("1", Assert.Single(response.Headers.GetValues("Retry-After")));
        Assert.Equal("payload", (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["body"]);
    }

    [Fact]
    public async Task Echo_with_a_bodiless_status_answers_it_without_a_body()
    {
        using var response = await Client.DeleteAsync("/echo/x?status=204");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Echo_with_a_bad_status_and_header_gets_a_validation_problem_naming_both()
    {
        using var response = await Client.GetAsync("/echo/x?status=99&header=no-colon");

        var problem = await BehaviourTopicTests.AssertValidationProblemAsync(response);
        Assert.Equal(["header", "status"], problem["errors"]!.AsObject().Select(e => e.Key).Order());
    }

    [Fact]
    public async Task Slow_waits_the_requested_milliseconds()
    {
        var watch = Stopwatch.StartNew();

        var slow = JsonNode.Parse(await Client.GetStringAsync("/slow?ms=250"))!;

        Assert.Equal(250, (int)slow["waitedMs"]!);
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(250), $"answered after {watch.Elapsed}");
    }

    [Fact]
    public async Task Slow_with_a_negative_wait_gets_a_validation_problem_from_the_parameter_attribute()
    {
        using var response = await Client.GetAsync("/slow?ms=-1");

        var problem = await BehaviourTopicTests.AssertValidationProblemAsync(response);
        Assert.Equal(["ms"], problem["errors"]!.AsObject().Select(e => e.Key));
    }
}
