using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting.FaultInjection;
using SubscriberApp.Deliveries;

namespace ServiceDefaults.Tests;

public sealed class FaultInjectionTests
{
    private static Task<RunningApp> StartAsync(bool enabled) =>
        TestHosts.StartSubscriberAppAsync(new Dictionary<string, string?> { ["FaultInjection:Enabled"] = enabled ? "true" : "false" });

    [Fact]
    public async Task when_it_is_not_enabled_there_is_no_faults_endpoint()
    {
        await using var app = await StartAsync(enabled: false);

        using var response = await app.Client.PostAsJsonAsync("/_faults", new { path = "^/alive$" });

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Null(app.App.Services.GetService<FaultRules>());
    }

    [Fact]
    public async Task a_fault_before_the_handler_strikes_as_many_times_as_asked_then_stops()
    {
        await using var app = await StartAsync(enabled: true);
        using var added = await app.Client.PostAsJsonAsync("/_faults", new { method = "GET", path = "^/alive$", times = 2 });

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await app.Client.GetAsync("/alive");
            statuses.Add(response.StatusCode);
        }

        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        Assert.Equal([HttpStatusCode.ServiceUnavailable, HttpStatusCode.ServiceUnavailable, HttpStatusCode.OK], statuses);
    }

    [Fact]
    public async Task a_fault_after_the_handler_lets_the_work_happen_and_loses_the_answer()
    {
        await using var app = await StartAsync(enabled: true);
        await app.Client.PostAsJsonAsync("/_faults", new { method = "POST", path = "^/behaviour$", timing = "After", times = 1 });
        var id = Guid.NewGuid().ToString();

        using var first = await app.Client.PostAsJsonAsync("/behaviour", new { id, action = "success" });
        using var second = await app.Client.PostAsJsonAsync("/behaviour", new { id, action = "success" });

        Assert.Equal(HttpStatusCode.ServiceUnavailable, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        // Both requests reached the handler: the first one's work happened although its caller saw a failure.
        Assert.Equal(2, app.App.Services.GetRequiredService<DeliveryLog>().List(null).Count(d => d.Id == id));
    }

    [Fact]
    public async Task the_rules_are_listed_with_their_strikes_and_cleared_by_delete()
    {
        await using var app = await StartAsync(enabled: true);
        await app.Client.PostAsJsonAsync("/_faults", new { path = "^/alive$", status = 500 });
        using (var struck = await app.Client.GetAsync("/alive"))
        {
            Assert.Equal(HttpStatusCode.InternalServerError, struck.StatusCode);
        }

        var rules = await app.Client.GetFromJsonAsync<List<FaultRuleState>>("/_faults", new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web) { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } });
        using var cleared = await app.Client.DeleteAsync("/_faults");
        using var after = await app.Client.GetAsync("/alive");

        Assert.Equal(1, Assert.Single(rules!).Struck);
        Assert.Equal(HttpStatusCode.NoContent, cleared.StatusCode);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task a_rule_without_a_path_is_refused()
    {
        await using var app = await StartAsync(enabled: true);

        using var response = await app.Client.PostAsJsonAsync("/_faults", new { method = "GET" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public void concurrent_requests_never_take_more_strikes_than_the_rule_allows()
    {
        var rules = new FaultRules();
        rules.Add(new FaultRule("POST", "^/x$", Times: 10));

        var struck = 0;
        Parallel.For(0, 1000, _ =>
        {
            if (rules.Strike("POST", "/x") is not null)
            {
                Interlocked.Increment(ref struck);
            }
        });

        Assert.Equal(10, struck);
        Assert.Null(rules.Strike("GET", "/x"));
    }
}
