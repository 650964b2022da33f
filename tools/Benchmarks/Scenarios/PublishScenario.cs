using System.Diagnostics;
using Benchmarks.Measurement;
using Benchmarks.Platform;
using static Benchmarks.Platform.PlatformEnvironment;

namespace Benchmarks.Scenarios;

/// <summary>
/// Publish-to-delivery on Redis Streams: the latency is the time from just before the publish call to the moment the
/// subscriber has the event parsed in hand. Each worker publishes one event and waits for it to arrive before the next.
/// <list type="bullet">
/// <item>sidecar: SDK <c>PublishEventAsync</c> over gRPC → the sidecar's <c>pubsub.redis</c> (XADD of the CloudEvent)
/// → its XREADGROUP reader → an HTTP POST to the benchmark's subscriber app → arrival.</item>
/// <item>direct: XADD of the same JSON to another stream → a consumer in this process blocked in XREADGROUP
/// (COUNT 100, as the component's queueDepth) → arrival; it XACKs each batch as the component acks each message.</item>
/// </list>
/// </summary>
public static class PublishScenario
{
    public const string DirectStream = "bench-direct";
    public const string DirectGroup = "bench-direct";
    private static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(30);
    private static long _sequence;

    public static async Task<Scenario> RedisAsync(PlatformEnvironment env, int payload, CancellationToken ct)
    {
        var body = BenchDocument.Create(0, payload).Body;
        var consumer = await DirectStreamConsumer.StartAsync(env, ct).ConfigureAwait(false);
        return new Scenario("publish-redis", "publish to delivery, Redis Streams",
        [
            PublishPath("direct XADD → XREADGROUP", PathRole.Baseline, body, consumer.Deliveries,
                (document, _) => consumer.Writer.StreamAddAsync(DirectStream, "data", document.ToUtf8())),
            PublishPath("sidecar gRPC (SDK PublishEventAsync) → app", PathRole.Measured, body, env.SidecarDeliveries,
                (document, token) => env.Dapr.PublishEventAsync(PubSub, Topic, document, token)),
        ], consumer);
    }

    private static BenchmarkPath PublishPath(
        string name, PathRole role, string body, DeliveryTracker deliveries, Func<BenchDocument, CancellationToken, Task> publish)
        => new(name, role, async (_, token) =>
        {
            var seq = Interlocked.Increment(ref _sequence);
            var document = new BenchDocument(seq, body);
            var arrival = deliveries.Expect(seq);
            try
            {
                var start = Stopwatch.GetTimestamp();
                await publish(document, token).ConfigureAwait(false);
                return await arrival.WaitAsync(DeliveryTimeout, token).ConfigureAwait(false) - start;
            }
            catch
            {
                deliveries.Forget(seq);
                throw;
            }
        });
}
