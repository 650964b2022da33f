using LocalSidecar.Components;
using LocalSidecar.Subscriptions;
using static LocalSidecar.Tests.PubSub.PubSubTestKit;

namespace LocalSidecar.Tests.Subscriptions;

public sealed class ConsumerGroupNameTests
{
    private static string Resolve(string? consumerId, string? podName = null)
        => ConsumerGroupName.Resolve(
            consumerId is null ? Definition("p", "pubsub.redis") : Definition("p", "pubsub.redis", ("consumerID", consumerId)),
            "checkout", "shop", podName);

    [Fact]
    public void without_consumer_id_the_group_is_the_app_id() => Assert.Equal("checkout", Resolve(null));

    [Fact]
    public void daprd_templates_are_expanded()
    {
        Assert.Equal("checkout-workers", Resolve("{appID}-workers"));
        Assert.Equal("shop.checkout", Resolve("{namespace}"));
        Assert.Equal("pod-7-checkout", Resolve("{podName}-{appID}", podName: "pod-7"));
        var unique = Resolve("{uuid}/{uuid}").Split('/');
        Assert.True(Guid.TryParse(unique[0], out _));
        Assert.NotEqual(unique[0], unique[1]);
    }

    [Fact]
    public void a_pod_name_template_without_a_pod_name_is_an_error_naming_the_field()
    {
        Assert.Contains("'consumerID'", Assert.Throws<ResourceException>(() => Resolve("{podName}")).Message);
    }
}
