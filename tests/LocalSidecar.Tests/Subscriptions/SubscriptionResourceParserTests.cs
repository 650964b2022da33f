using LocalSidecar.Components;
using LocalSidecar.Subscriptions;
using YamlDotNet.RepresentationModel;

namespace LocalSidecar.Tests.Subscriptions;

public sealed class SubscriptionResourceParserTests
{
    private const string File = "/resources/orders-subscription.yaml";

    internal static YamlMappingNode Yaml(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    [Fact]
    public void a_v2alpha1_subscription_is_read_with_rules_default_dead_letter_metadata_and_scopes()
    {
        var subscription = SubscriptionResourceParser.Parse(Yaml("""
            apiVersion: dapr.io/v2alpha1
            kind: Subscription
            metadata:
              name: orders
            spec:
              topic: orders
              pubsubName: orders-pubsub
              deadLetterTopic: orders-dead
              routes:
                rules:
                  - match: event.type == "order.v2"
                    path: /orders/v2
                  - match: event.data.total > 100
                    path: /orders/big
                default: /orders
              metadata:
                rawPayload: "true"
              bulkSubscribe:
                enabled: false
                maxMessagesCount: 50
            scopes:
              - checkout
              - shipping
            """), File);

        Assert.Equal(("orders-pubsub", "orders", "orders-dead", "orders"), (subscription.PubsubName, subscription.Topic, subscription.DeadLetterTopic, subscription.Name));
        Assert.Equal(
            [new RouteRule("event.type == \"order.v2\"", "/orders/v2"), new RouteRule("event.data.total > 100", "/orders/big"), new RouteRule(null, "/orders")],
            subscription.Rules);
        Assert.Equal("true", subscription.Metadata["rawPayload"]);
        Assert.Equal(new BulkSubscribeOptions(false, 50, null), subscription.BulkSubscribe);
        Assert.Equal(["checkout", "shipping"], subscription.Scopes);
        Assert.Equal(SubscriptionSource.Declarative, subscription.Source);
        Assert.True(subscription.AppliesTo("checkout"));
        Assert.False(subscription.AppliesTo("billing"));
    }

    [Fact]
    public void a_v1alpha1_subscription_has_a_single_route()
    {
        var subscription = SubscriptionResourceParser.Parse(Yaml("""
            apiVersion: dapr.io/v1alpha1
            kind: Subscription
            metadata:
              name: legacy
            spec:
              topic: orders
              route: /orders
              pubsubname: orders-pubsub
            """), File);

        Assert.Equal([new RouteRule(null, "/orders")], subscription.Rules);
        Assert.Empty(subscription.Scopes);
        Assert.True(subscription.AppliesTo("anyone"));
    }

    [Theory]
    [InlineData("spec.rout", "apiVersion: dapr.io/v2alpha1\nkind: Subscription\nmetadata: {name: s}\nspec: {topic: t, pubsubname: p, rout: /x}")]
    [InlineData("spec.routes.rules[0].paht", "apiVersion: dapr.io/v2alpha1\nkind: Subscription\nmetadata: {name: s}\nspec: {topic: t, pubsubname: p, routes: {rules: [{match: 'true', paht: /x}]}}")]
    [InlineData("spec.route", "apiVersion: dapr.io/v2alpha1\nkind: Subscription\nmetadata: {name: s}\nspec: {topic: t, pubsubname: p, route: /x}")]
    [InlineData("spec.routes", "apiVersion: dapr.io/v1alpha1\nkind: Subscription\nmetadata: {name: s}\nspec: {topic: t, pubsubname: p, route: /x, routes: {default: /y}}")]
    [InlineData("extra", "apiVersion: dapr.io/v2alpha1\nkind: Subscription\nmetadata: {name: s}\nspec: {topic: t, pubsubname: p}\nextra: 1")]
    public void an_unknown_field_stops_loading_and_names_the_file_and_field(string field, string yaml)
    {
        var error = Assert.Throws<ResourceException>(() => SubscriptionResourceParser.Parse(Yaml(yaml), File));

        Assert.Equal(File, error.File);
        Assert.Contains($"'{field}'", error.Message);
    }

    [Fact]
    public void an_invalid_match_expression_names_the_rule()
    {
        var error = Assert.Throws<ResourceException>(() => SubscriptionResourceParser.Parse(Yaml("""
            apiVersion: dapr.io/v2alpha1
            kind: Subscription
            metadata: {name: s}
            spec:
              topic: t
              pubsubname: p
              routes:
                rules:
                  - match: event.type ==
                    path: /x
            """), File));

        Assert.Contains("'spec.routes.rules[0].match'", error.Message);
    }

    [Theory]
    [InlineData("spec.topic", "apiVersion: dapr.io/v2alpha1\nkind: Subscription\nmetadata: {name: s}\nspec: {pubsubname: p, routes: {default: /x}}")]
    [InlineData("spec.pubsubname", "apiVersion: dapr.io/v2alpha1\nkind: Subscription\nmetadata: {name: s}\nspec: {topic: t, routes: {default: /x}}")]
    [InlineData("apiVersion", "apiVersion: dapr.io/v3\nkind: Subscription\nmetadata: {name: s}\nspec: {topic: t, pubsubname: p}")]
    public void a_missing_or_wrong_required_field_is_named(string field, string yaml)
    {
        var error = Assert.Throws<ResourceException>(() => SubscriptionResourceParser.Parse(Yaml(yaml), File));

        Assert.Contains($"'{field}'", error.Message);
    }

    [Fact]
    public void a_v2alpha1_subscription_without_routes_has_no_rules_and_is_therefore_not_started()
    {
        var subscription = SubscriptionResourceParser.Parse(Yaml("apiVersion: dapr.io/v2alpha1\nkind: Subscription\nmetadata: {name: s}\nspec: {topic: t, pubsubname: p}"), File);

        Assert.Empty(subscription.Rules);
    }
}
