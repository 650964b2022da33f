using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Dapr.Testing;
using LocalSidecar.Components;
using LocalSidecar.PubSub;
using LocalSidecar.PubSub.Redis;
using StackExchange.Redis;
using static LocalSidecar.Tests.PubSub.PubSubTestKit;

namespace LocalSidecar.Tests.PubSub;

/// <summary>pubsub.redis against a real redis-server: the streams layout and the acknowledge/redelivery rules of daprd ≥ 1.17.</summary>
public sealed class RedisStreamsPubSubTests(SharedServers servers) : IClassFixture<SharedServers>
{
    private static readonly IReadOnlyDictionary<string, string> NoMetadata = new Dictionary<string, string>();

    private string NewTopic(string name = "orders") => servers.NewRedisKeyPrefix(name) + name;

    [Fact]
    public async Task publish_then_subscribe_lays_out_the_stream_and_consumer_group_as_daprd_does()
    {
        var db = await DatabaseAsync(servers.Redis);
        var topic = NewTopic();
        await using var pubsub = await StartRedisAsync(servers.Redis);

        await pubsub.PublishAsync(topic, "first"u8.ToArray(), NoMetadata, CancellationToken.None);
        await pubsub.PublishAsync(topic, "second"u8.ToArray(), new Dictionary<string, string> { ["ttlInSeconds"] = "60" }, CancellationToken.None);

        var received = new ConcurrentQueue<PubSubMessage>();
        using var stop = new CancellationTokenSource();
        await pubsub.SubscribeAsync(topic, "checkout", NoMetadata, (m, _) => { received.Enqueue(m); return Task.CompletedTask; }, stop.Token);
        await EventuallyAsync(() => received.Count == 2, "both messages were delivered");
        await EventuallyAsync(async () => await PendingCountAsync(db, topic, "checkout") == 0, "both messages were acknowledged");

        var entries = await db.StreamRangeAsync(topic);
        Assert.Equal(2, entries.Length);
        Assert.Equal(["data"], entries[0].Values.Select(v => v.Name.ToString()));
        Assert.Equal("first", entries[0]["data"].ToString());
        Assert.Equal(["data", "metadata"], entries[1].Values.Select(v => v.Name.ToString()));
        Assert.Equal(new Dictionary<string, string> { ["ttlInSeconds"] = "60" }, JsonSerializer.Deserialize<Dictionary<string, string>>(entries[1]["metadata"].ToString()));

        var group = Assert.Single(await db.StreamGroupInfoAsync(topic));
        Assert.Equal("checkout", group.Name);
        Assert.Equal(entries[1].Id, group.LastDeliveredId);
        var consumer = Assert.Single(await db.StreamConsumerInfoAsync(topic, "checkout"));
        Assert.Equal("checkout", consumer.Name); // consumer name = group name: every replica reads as one consumer

        Assert.Equal(["first", "second"], received.Select(m => Encoding.UTF8.GetString(m.Data)).Order());
        Assert.Equal("60", received.Single(m => m.Data.Length == 6).Metadata["ttlInSeconds"]);
        Assert.Equal(entries.Select(e => e.Id.ToString()).Order(), received.Select(m => m.BrokerMessageId!).Order());
    }

    [Fact]
    public async Task a_message_whose_handler_failed_is_acknowledged_and_not_redelivered()
    {
        var db = await DatabaseAsync(servers.Redis);
        var topic = NewTopic();
        await using var pubsub = await StartRedisAsync(servers.Redis, metadata: [("processingTimeout", "300"), ("redeliverInterval", "100")]);
        var deliveries = 0;
        using var stop = new CancellationTokenSource();
        await pubsub.SubscribeAsync(topic, "checkout", NoMetadata, (_, _) =>
        {
            Interlocked.Increment(ref deliveries);
            throw new InvalidOperationException("the app failed");
        }, stop.Token);

        await pubsub.PublishAsync(topic, "payload"u8.ToArray(), NoMetadata, CancellationToken.None);
        await EventuallyAsync(() => Volatile.Read(ref deliveries) == 1, "the message was delivered");
        await EventuallyAsync(async () => await PendingCountAsync(db, topic, "checkout") == 0, "the failed message was acknowledged");

        await Task.Delay(800); // more than processingTimeout + two reclaim rounds
        Assert.Equal(1, Volatile.Read(ref deliveries));
    }

    [Fact]
    public async Task a_message_whose_handler_timed_out_is_redelivered_after_restart()
    {
        var db = await DatabaseAsync(servers.Redis);
        var topic = NewTopic();
        (string, string)[] timing = [("processingTimeout", "1000"), ("redeliverInterval", "200")];

        var firstSidecar = await StartRedisAsync(servers.Redis, metadata: timing);
        var started = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var firstHandlerCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await firstSidecar.SubscribeAsync(topic, "checkout", NoMetadata, async (message, token) =>
        {
            started.TrySetResult(message.BrokerMessageId!);
            try
            {
                await Task.Delay(Timeout.Infinite, token);
            }
            finally
            {
                firstHandlerCancelled.TrySetResult();
            }
        }, CancellationToken.None);

        await firstSidecar.PublishAsync(topic, "order 42"u8.ToArray(), NoMetadata, CancellationToken.None);
        var messageId = await started.Task.WaitAsync(TimeSpan.FromSeconds(10));

        await firstSidecar.DisposeAsync(); // the sidecar goes away while the app is still working on the message
        await firstHandlerCancelled.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(1, await PendingCountAsync(db, topic, "checkout"));

        await using var secondSidecar = await StartRedisAsync(servers.Redis, metadata: timing);
        var redelivered = new TaskCompletionSource<PubSubMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        await secondSidecar.SubscribeAsync(topic, "checkout", NoMetadata, (message, _) =>
        {
            redelivered.TrySetResult(message);
            return Task.CompletedTask;
        }, CancellationToken.None);

        var again = await redelivered.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(messageId, again.BrokerMessageId);
        Assert.Equal("order 42", Encoding.UTF8.GetString(again.Data));
        await EventuallyAsync(async () => await PendingCountAsync(db, topic, "checkout") == 0, "the redelivered message was acknowledged");
    }

    [Fact]
    public async Task a_handler_that_outlives_processing_timeout_is_cancelled_and_the_message_comes_back()
    {
        var db = await DatabaseAsync(servers.Redis);
        var topic = NewTopic();
        await using var pubsub = await StartRedisAsync(servers.Redis, metadata: [("processingTimeout", "400"), ("redeliverInterval", "100")]);
        var attempts = new ConcurrentQueue<(string Id, bool Cancelled)>();
        await pubsub.SubscribeAsync(topic, "checkout", NoMetadata, async (message, token) =>
        {
            if (attempts.IsEmpty)
            {
                attempts.Enqueue((message.BrokerMessageId!, true));
                await Task.Delay(Timeout.Infinite, token); // hangs until processingTimeout cancels it
            }

            attempts.Enqueue((message.BrokerMessageId!, false));
        }, CancellationToken.None);

        await pubsub.PublishAsync(topic, "slow"u8.ToArray(), NoMetadata, CancellationToken.None);
        await EventuallyAsync(() => attempts.Count == 2, "the timed-out message was delivered a second time");
        await EventuallyAsync(async () => await PendingCountAsync(db, topic, "checkout") == 0, "the second delivery was acknowledged");

        Assert.Single(attempts.Select(a => a.Id).Distinct());
    }

    [Fact]
    public async Task two_sidecars_in_one_consumer_group_share_the_messages_without_duplicates()
    {
        var topic = NewTopic();
        await using var replicaA = await StartRedisAsync(servers.Redis);
        await using var replicaB = await StartRedisAsync(servers.Redis);
        var received = new ConcurrentBag<(string Replica, string Payload)>();
        await replicaA.SubscribeAsync(topic, "checkout", NoMetadata, (m, _) => { received.Add(("A", Encoding.UTF8.GetString(m.Data))); return Task.CompletedTask; }, CancellationToken.None);
        await replicaB.SubscribeAsync(topic, "checkout", NoMetadata, (m, _) => { received.Add(("B", Encoding.UTF8.GetString(m.Data))); return Task.CompletedTask; }, CancellationToken.None);

        // Publish until both replicas have had a share (a reader that starts late on a busy machine just joins later),
        // at least 40 messages and at most 400.
        var count = 0;
        while (count < 40 || (count < 400 && !(received.Any(r => r.Replica == "A") && received.Any(r => r.Replica == "B"))))
        {
            await replicaA.PublishAsync(topic, Encoding.UTF8.GetBytes($"m{count++}"), NoMetadata, CancellationToken.None);
            await Task.Delay(5);
        }

        await EventuallyAsync(() => received.Count >= count, "every message was delivered");
        await Task.Delay(300);

        Assert.Equal(count, received.Count);
        Assert.Equal(count, received.Select(r => r.Payload).Distinct().Count());
        Assert.Contains(received, r => r.Replica == "A");
        Assert.Contains(received, r => r.Replica == "B");
    }

    [Fact]
    public async Task max_len_approx_trims_the_stream_while_publishing()
    {
        var db = await DatabaseAsync(servers.Redis);
        var topic = NewTopic();
        await using var pubsub = await StartRedisAsync(servers.Redis, metadata: [("maxLenApprox", "10")]);

        for (var i = 0; i < 500; i++)
        {
            await pubsub.PublishAsync(topic, Encoding.UTF8.GetBytes($"m{i}"), NoMetadata, CancellationToken.None);
        }

        var length = await db.StreamLengthAsync(topic);
        Assert.InRange(length, 10, 499); // "~" trims whole macro nodes, so a little over 10 remain
    }

    [Fact]
    public async Task a_stopped_subscription_stops_reading_and_leaves_new_messages_in_the_stream()
    {
        var db = await DatabaseAsync(servers.Redis);
        var topic = NewTopic();
        await using var pubsub = await StartRedisAsync(servers.Redis);
        var received = 0;
        using var stop = new CancellationTokenSource();
        await pubsub.SubscribeAsync(topic, "checkout", NoMetadata, (_, _) => { Interlocked.Increment(ref received); return Task.CompletedTask; }, stop.Token);
        await stop.CancelAsync();
        await Task.Delay(200);

        await pubsub.PublishAsync(topic, "later"u8.ToArray(), NoMetadata, CancellationToken.None);
        await Task.Delay(300);

        Assert.Equal(0, Volatile.Read(ref received));
        var group = Assert.Single(await db.StreamGroupInfoAsync(topic));
        Assert.Equal(0, group.PendingMessageCount);
        Assert.Equal(1, await db.StreamLengthAsync(topic));
    }
}

public sealed class RedisStreamsSettingsTests
{
    private static RedisStreamsSettings Parse(params (string, string)[] metadata)
        => RedisStreamsSettings.Parse(PubSubTestKit.Definition("orders-pubsub", "pubsub.redis", [("redisHost", "localhost:6380"), .. metadata]));

    [Fact]
    public void the_defaults_are_those_of_the_component_code()
    {
        var settings = Parse();

        Assert.Equal(("localhost", 6380), (settings.Host, settings.Port));
        Assert.Equal(TimeSpan.FromSeconds(60), settings.ProcessingTimeout);
        Assert.Equal(TimeSpan.FromSeconds(15), settings.RedeliverInterval);
        Assert.Equal(100, settings.QueueDepth);
        Assert.Equal(10, settings.Concurrency);
        Assert.Null(settings.MaxLenApprox);
        Assert.True(settings.RedeliveryEnabled);
    }

    [Fact]
    public void bare_numbers_are_milliseconds_and_zero_turns_redelivery_off()
    {
        var settings = Parse(("processingTimeout", "2500"), ("redeliverInterval", "0"), ("redisPort", "7000"), ("queueDepth", "5"), ("concurrency", "1"));

        Assert.Equal(TimeSpan.FromMilliseconds(2500), settings.ProcessingTimeout);
        Assert.False(settings.RedeliveryEnabled);
        Assert.Equal(7000, settings.Port);
        Assert.Equal((5, 1), (settings.QueueDepth, settings.Concurrency));
    }

    [Theory]
    [InlineData("redisHots", "is not a pubsub.redis metadata field")]
    [InlineData("failover", "not supported by the local sidecar")]
    [InlineData("useEntraID", "not supported by the local sidecar")]
    public void an_unknown_or_unsupported_field_names_the_file_and_field(string field, string problem)
    {
        var error = Assert.Throws<ResourceException>(() => Parse((field, "x")));

        Assert.Equal("/resources/orders-pubsub.yaml", error.File);
        Assert.Contains($"'{field}'", error.Message);
        Assert.Contains(problem, error.Message);
    }

    [Theory]
    [InlineData("processingTimeout", "soon")]
    [InlineData("queueDepth", "0")]
    [InlineData("redisType", "cluster")]
    [InlineData("maxLenApprox", "many")]
    public void a_bad_value_names_its_field(string field, string value)
    {
        var error = Assert.Throws<ResourceException>(() => Parse((field, value)));

        Assert.Contains($"'{field}'", error.Message);
    }

    [Fact]
    public void daprd_level_topic_fields_and_go_redis_tuning_are_accepted()
    {
        Parse(("allowedTopics", "a,b"), ("protectedTopics", "a"), ("publishingScopes", "app=a"), ("subscriptionScopes", "app=b"), ("poolSize", "20"), ("consumerID", "{appID}"), ("enableTLS", "false"));
    }
}
