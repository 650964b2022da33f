using System.Text.Json.Nodes;
using LocalSidecar.Subscriptions;

namespace LocalSidecar.Tests.Subscriptions;

public sealed class CelRoutingTests
{
    private static JsonObject Event(string json) => JsonNode.Parse(json)!.AsObject();

    private static readonly JsonObject OrderV2 = Event("""{"id":"1","type":"order.v2","source":"a","data":{"x":2,"items":["book"],"express":true}}""");

    [Theory]
    [InlineData("""event.type == "order.v2" """, true)]
    [InlineData("""event.type == "order.v1" """, false)]
    [InlineData("""event.data.x > 1 && event.source == "a" """, true)]
    [InlineData("""event.data.x > 1 && event.source == "b" """, false)]
    [InlineData("""event.data.x >= 2 || event.source == "b" """, true)]
    [InlineData("""!(event.data.x < 2)""", true)]
    [InlineData("""event.data.x == 2""", true)]
    [InlineData("""event.data.x != 2.0""", false)]
    [InlineData("""event.data.express""", true)]
    [InlineData("""event.type in ["order.v1", "order.v2"]""", true)]
    [InlineData(""" "book" in event.data.items """, true)]
    [InlineData("""has(event.data.discount)""", false)]
    [InlineData("""event.type.startsWith("order.")""", true)]
    public void a_match_expression_is_evaluated_over_the_event(string match, bool expected)
    {
        var router = new SubscriptionRouter([new RouteRule(match.Trim(), "matched")]);

        Assert.Equal(expected ? "matched" : null, router.SelectPath(OrderV2));
    }

    [Fact]
    public void rules_are_tried_in_order_and_the_default_route_comes_last()
    {
        var router = new SubscriptionRouter(
        [
            new RouteRule("""event.type == "order.v1" """, "v1"),
            new RouteRule("""event.data.x > 1""", "big"),
            new RouteRule("""event.type == "order.v2" """, "v2"),
            new RouteRule(null, "fallback"),
        ]);

        Assert.Equal("big", router.SelectPath(OrderV2));
        Assert.Equal("v1", router.SelectPath(Event("""{"type":"order.v1","data":{"x":5}}""")));
        Assert.Equal("fallback", router.SelectPath(Event("""{"type":"other","data":{"x":0}}""")));
    }

    [Fact]
    public void an_event_no_rule_matches_has_no_route_when_there_is_no_default()
    {
        var router = new SubscriptionRouter([new RouteRule("""event.type == "order.v1" """, "v1")]);

        Assert.Null(router.SelectPath(OrderV2));
    }

    [Fact]
    public void a_match_on_a_field_the_event_lacks_is_an_error_as_in_cel_go()
    {
        var router = new SubscriptionRouter([new RouteRule("""event.missing == "a" """, "p")]);

        Assert.Throws<CelEvaluationException>(() => router.SelectPath(OrderV2));
    }

    [Fact]
    public void a_match_that_is_not_boolean_is_an_error()
    {
        var router = new SubscriptionRouter([new RouteRule("event.type", "p")]);

        Assert.Throws<CelEvaluationException>(() => router.SelectPath(OrderV2));
    }

    [Fact]
    public void an_invalid_expression_is_refused_when_compiled()
    {
        Assert.Throws<CelCompileException>(() => CelExpression.Compile("event.type =="));
    }
}
