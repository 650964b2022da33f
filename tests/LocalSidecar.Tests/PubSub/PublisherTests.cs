using System.Text;
using System.Text.Json.Nodes;
using LocalSidecar.PubSub;
using LocalSidecar.PubSub.InMemory;
using static LocalSidecar.Tests.PubSub.PubSubTestKit;

namespace LocalSidecar.Tests.PubSub;

public sealed class PublisherTests
{
    private static readonly Dictionary<string, string> NoMetadata = [];

    private static async Task<(InMemoryPubSub Broker, PubSubComponent Component)> InMemoryAsync(string appId, params (string, string)[] metadata)
    {
        var definition = Definition("orders-pubsub", "pubsub.in-memory", metadata);
        var broker = (InMemoryPubSub)PubSubFactory.Create(definition, Loggers, TimeProvider.System);
        await broker.InitAsync(CancellationToken.None);
        return (broker, PubSubComponent.Create(definition, broker, appId));
    }

    [Fact]
    public async Task a_publish_reaches_the_broker_wrapped_in_daprs_cloudevent()
    {
        var (broker, component) = await InMemoryAsync("checkout");
        await using var _ = broker;
        var received = new TaskCompletionSource<PubSubMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        await broker.SubscribeAsync("orders", "checkout", NoMetadata, (m, _) => { received.TrySetResult(m); return Task.CompletedTask; }, CancellationToken.None);

        await Publisher("checkout", component).PublishAsync("orders-pubsub", "orders", """{"n":1}"""u8.ToArray(), "application/json", NoMetadata, null, null, CancellationToken.None);

        var envelope = JsonNode.Parse((await received.Task.WaitAsync(TimeSpan.FromSeconds(5))).Data)!.AsObject();
        Assert.Equal("checkout", (string?)envelope["source"]);
        Assert.Equal("orders-pubsub", (string?)envelope["pubsubname"]);
        Assert.Equal(1, (int)envelope["data"]!["n"]!);
    }

    [Fact]
    public async Task an_unknown_pubsub_or_empty_names_are_refused_with_daprs_error_codes()
    {
        var (broker, component) = await InMemoryAsync("checkout");
        await using var _ = broker;
        var publisher = Publisher("checkout", component);

        var notFound = await Assert.ThrowsAsync<PubSubNotFoundException>(() => publisher.PublishAsync("nope", "orders", "x"u8.ToArray(), null, NoMetadata, null, null, CancellationToken.None));
        Assert.Equal("ERR_PUBSUB_NOT_FOUND", notFound.ErrorCode);
        await Assert.ThrowsAsync<PubSubNameEmptyException>(() => publisher.PublishAsync("", "orders", "x"u8.ToArray(), null, NoMetadata, null, null, CancellationToken.None));
        await Assert.ThrowsAsync<TopicNameEmptyException>(() => publisher.PublishAsync("orders-pubsub", "", "x"u8.ToArray(), null, NoMetadata, null, null, CancellationToken.None));
    }

    [Theory]
    [InlineData("allowedTopics", "orders,invoices", "payments", false)]
    [InlineData("allowedTopics", "orders,invoices", "orders", true)]
    [InlineData("publishingScopes", "checkout=orders;billing=invoices", "invoices", false)]
    [InlineData("publishingScopes", "checkout=orders;billing=invoices", "orders", true)]
    [InlineData("publishingScopes", "billing=invoices", "orders", true)]
    [InlineData("protectedTopics", "orders", "orders", false)]
    [InlineData("protectedTopics", "orders", "invoices", true)]
    public async Task the_components_topic_rules_decide_whether_this_app_may_publish(string field, string value, string topic, bool allowed)
    {
        var (broker, component) = await InMemoryAsync("checkout", (field, value));
        await using var _ = broker;

        var publish = Publisher("checkout", component).PublishAsync("orders-pubsub", topic, "x"u8.ToArray(), null, NoMetadata, null, null, CancellationToken.None);

        if (allowed)
        {
            await publish;
        }
        else
        {
            Assert.Equal("ERR_PUBSUB_FORBIDDEN", (await Assert.ThrowsAsync<TopicForbiddenException>(() => publish)).ErrorCode);
        }
    }

    [Fact]
    public void subscription_scopes_apply_to_subscribing_only()
    {
        var policy = TopicAccessPolicy.For(Definition("p", "pubsub.in-memory", ("subscriptionScopes", "checkout=orders")).Metadata, "checkout");

        Assert.True(policy.CanSubscribe("orders"));
        Assert.False(policy.CanSubscribe("invoices"));
        Assert.True(policy.CanPublish("invoices"));
    }

    [Fact]
    public async Task bulk_publish_reports_the_entries_the_broker_refused_and_rejects_duplicate_ids()
    {
        var (broker, component) = await InMemoryAsync("checkout");
        var publisher = Publisher("checkout", component);
        var received = 0;
        await broker.SubscribeAsync("orders", "checkout", NoMetadata, (_, _) => { Interlocked.Increment(ref received); return Task.CompletedTask; }, CancellationToken.None);
        BulkPublishEntry Entry(string id) => new(id, Encoding.UTF8.GetBytes($$"""{"id":"{{id}}"}"""), "application/json", NoMetadata);

        Assert.Empty(await publisher.BulkPublishAsync("orders-pubsub", "orders", [Entry("a"), Entry("b")], NoMetadata, null, null, CancellationToken.None));
        await EventuallyAsync(() => Volatile.Read(ref received) == 2, "both entries were delivered");

        await Assert.ThrowsAsync<CloudEventCreationException>(() => publisher.BulkPublishAsync("orders-pubsub", "orders", [Entry("a"), Entry("a")], NoMetadata, null, null, CancellationToken.None));

        await broker.DisposeAsync();
        var failures = await publisher.BulkPublishAsync("orders-pubsub", "orders", [Entry("c"), Entry("d")], NoMetadata, null, null, CancellationToken.None);
        Assert.Equal(["c", "d"], failures.Select(f => f.EntryId));
        Assert.All(failures, f => Assert.IsType<PublishFailedException>(f.Error));
    }
}

public sealed class InMemoryPubSubTests
{
    private static readonly Dictionary<string, string> NoMetadata = [];

    [Fact]
    public async Task every_subscriber_gets_every_message_in_publish_order()
    {
        await using var broker = (InMemoryPubSub)PubSubFactory.Create(Definition("mem", "pubsub.in-memory"), Loggers, TimeProvider.System);
        var first = new List<string>();
        var second = new List<string>();
        await broker.SubscribeAsync("t", "a", NoMetadata, (m, _) => { lock (first) { first.Add(Encoding.UTF8.GetString(m.Data)); } return Task.CompletedTask; }, CancellationToken.None);
        await broker.SubscribeAsync("t", "b", NoMetadata, (m, _) => { lock (second) { second.Add(Encoding.UTF8.GetString(m.Data)); } return Task.CompletedTask; }, CancellationToken.None);

        for (var i = 0; i < 20; i++)
        {
            await broker.PublishAsync("t", Encoding.UTF8.GetBytes(i.ToString()), NoMetadata, CancellationToken.None);
        }

        await EventuallyAsync(() => { lock (first) lock (second) { return first.Count == 20 && second.Count == 20; } }, "both subscribers got all messages");
        Assert.Equal(Enumerable.Range(0, 20).Select(i => i.ToString()), first);
        Assert.Equal(first, second);
    }

    [Fact]
    public async Task a_failing_handler_is_tried_ten_times_then_the_message_is_dropped()
    {
        await using var broker = (InMemoryPubSub)PubSubFactory.Create(Definition("mem", "pubsub.in-memory"), Loggers, TimeProvider.System);
        var attempts = 0;
        var after = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await broker.SubscribeAsync("t", "a", NoMetadata, (m, _) =>
        {
            if (Encoding.UTF8.GetString(m.Data) == "next")
            {
                after.TrySetResult();
                return Task.CompletedTask;
            }

            Interlocked.Increment(ref attempts);
            throw new InvalidOperationException("handler failed");
        }, CancellationToken.None);

        await broker.PublishAsync("t", "bad"u8.ToArray(), NoMetadata, CancellationToken.None);
        await broker.PublishAsync("t", "next"u8.ToArray(), NoMetadata, CancellationToken.None);
        await after.Task.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(InMemoryPubSub.Attempts, Volatile.Read(ref attempts));
    }

    [Fact]
    public void an_unknown_metadata_field_is_refused()
    {
        var error = Assert.Throws<LocalSidecar.Components.ResourceException>(() => PubSubFactory.Create(Definition("mem", "pubsub.in-memory", ("redisHost", "x")), Loggers, TimeProvider.System));

        Assert.Contains("'redisHost'", error.Message);
    }
}
