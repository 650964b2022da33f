using LocalSidecar.Subscriptions;

namespace LocalSidecar.Tests.Subscriptions;

public sealed class ProgrammaticSubscriptionsTests
{
    [Fact]
    public void the_dapr_aspnetcore_output_is_read_case_insensitively()
    {
        // What Dapr.AspNetCore 1.19's MapSubscribeHandler writes: camelCase, no leading slash, nulls left out.
        var subscriptions = ProgrammaticSubscriptions.Parse("""
            [
              {"pubsubName":"orders-pubsub","topic":"orders","route":"orders","deadLetterTopic":"orders-dead","metadata":{"rawPayload":"true"}},
              {"pubsubName":"orders-pubsub","topic":"invoices","routes":{"rules":[{"match":"event.type == \"big\"","path":"invoices/big"}],"default":"invoices"},"bulkSubscribe":{"enabled":false,"maxMessagesCount":100,"maxAwaitDurationMs":1000}}
            ]
            """);

        Assert.Equal(2, subscriptions.Count);
        var orders = subscriptions[0];
        Assert.Equal(("orders-pubsub", "orders", "orders-dead"), (orders.PubsubName, orders.Topic, orders.DeadLetterTopic));
        Assert.Equal([new RouteRule(null, "orders")], orders.Rules);
        Assert.Equal("true", orders.Metadata["rawPayload"]);
        Assert.Equal(SubscriptionSource.Programmatic, orders.Source);

        var invoices = subscriptions[1];
        Assert.Equal([new RouteRule("event.type == \"big\"", "invoices/big"), new RouteRule(null, "invoices")], invoices.Rules);
        Assert.Equal(new BulkSubscribeOptions(false, 100, 1000), invoices.BulkSubscribe);
    }

    [Fact]
    public void routes_default_wins_over_route_and_no_route_at_all_leaves_no_rules()
    {
        var subscriptions = ProgrammaticSubscriptions.Parse("""
            [
              {"pubsubname":"p","topic":"a","route":"old","routes":{"default":"new"}},
              {"pubsubname":"p","topic":"b"}
            ]
            """);

        Assert.Equal([new RouteRule(null, "new")], subscriptions[0].Rules);
        Assert.Empty(subscriptions[1].Rules);
    }

    [Fact]
    public void a_body_that_is_not_a_subscription_list_is_an_error()
    {
        Assert.Throws<SubscriptionDiscoveryException>(() => ProgrammaticSubscriptions.Parse("""{"topic":"x"}"""));
        Assert.Throws<SubscriptionDiscoveryException>(() => ProgrammaticSubscriptions.Parse("""[{"pubsubname":"p","topic":"t","routes":{"rules":[{"match":"==","path":"x"}]}}]"""));
    }
}
