using System.Text.Json.Nodes;

namespace ServiceDefaults.Tests;

public sealed class SubscribeHandlerTests(SubscriberAppFixture fixture) : IClassFixture<SubscriberAppFixture>
{
    [Fact]
    public async Task Dapr_subscribe_lists_every_topic_with_dead_letter_rules_and_raw_payload_as_Dapr_AspNetCore_writes_them()
    {
        var body = await fixture.Client.GetStringAsync("/dapr/subscribe");

        // Dapr.AspNetCore 1.19: camelCase, nulls omitted, routes without a leading slash, ordered by pubsub then topic.
        var expected = JsonNode.Parse("""
            [
              { "topic": "behaviour", "pubsubName": "pubsub", "route": "behaviour", "deadLetterTopic": "behaviour-dead" },
              { "topic": "behaviour-dead", "pubsubName": "pubsub", "route": "dead-letters" },
              { "topic": "raw", "pubsubName": "pubsub", "route": "raw", "metadata": { "rawPayload": "true" } },
              {
                "topic": "routed", "pubsubName": "pubsub",
                "routes": {
                  "default": "routed/default",
                  "rules": [ { "match": "event.type == \"order.v2\"", "path": "routed/v2" } ]
                }
              }
            ]
            """);
        var actual = JsonNode.Parse(body);
        Assert.True(JsonNode.DeepEquals(expected, actual), $"GET /dapr/subscribe answered {body}");
    }

    [Fact]
    public async Task Pubsub_name_comes_from_PUBSUB_NAME()
    {
        await using var app = await TestHosts.StartSubscriberAppAsync(new Dictionary<string, string?> { ["PUBSUB_NAME"] = "orders-bus" });

        var subscriptions = JsonNode.Parse(await app.Client.GetStringAsync("/dapr/subscribe"))!.AsArray();

        Assert.Equal(4, subscriptions.Count);
        Assert.All(subscriptions, s => Assert.Equal("orders-bus", (string?)s!["pubsubName"]));
    }
}
