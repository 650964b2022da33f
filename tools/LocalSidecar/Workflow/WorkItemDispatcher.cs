using System.Collections.Concurrent;
using System.Threading.Channels;
using Dapr.DurableTask.Protobuf;
using Grpc.Core;

namespace LocalSidecar.Workflow;

/// <summary>
/// Hands work items to the workers connected through <c>GetWorkItems</c> and keeps every item open until the worker
/// answers with its completion token. The SDK has no per-item NACK: a worker that loses its stream (a crash, a restart,
/// a stop mid-activity) simply drops what it held, so the items sent on a stream that ends unanswered are queued again
/// for the next stream, as daprd's executor does.
/// </summary>
public sealed class WorkItemDispatcher(ILogger logger)
{
    private readonly Channel<OpenItem> _queue = Channel.CreateUnbounded<OpenItem>();
    private readonly ConcurrentDictionary<string, OpenItem> _open = new(StringComparer.Ordinal);
    private int _connected;

    public sealed class OpenItem(WorkItem workItem, string instanceId, string? executionId)
    {
        public WorkItem WorkItem { get; } = workItem;
        public string Token => WorkItem.CompletionToken;
        public string InstanceId { get; } = instanceId;
        public string? ExecutionId { get; } = executionId;
        internal Guid? Stream { get; set; }
    }

    /// <summary>Workers connected now; a test or a health check can wait for one.</summary>
    public int ConnectedWorkers => Volatile.Read(ref _connected);

    public void Enqueue(OpenItem item)
    {
        _open[item.Token] = item;
        _queue.Writer.TryWrite(item);
    }

    /// <summary>Claims the item a completion answers; false for a stale or unknown token, whose answer must be dropped.</summary>
    public bool TryComplete(string token, out OpenItem item) => _open.TryRemove(token, out item!);

    /// <summary>Withdraws the open items of an instance, for example its activities once it has finished.</summary>
    public void Cancel(string instanceId, Func<OpenItem, bool> which)
    {
        foreach (var item in _open.Values.Where(i => i.InstanceId == instanceId && which(i)))
        {
            _open.TryRemove(item.Token, out _);
        }
    }

    /// <summary>Serves one <c>GetWorkItems</c> stream until the worker goes away or the sidecar stops.</summary>
    /// <param name="statefulHistory">
    /// The worker advertised <c>WORKER_CAPABILITY_STATEFUL_HISTORY</c>: it keeps each instance's committed history
    /// between turns, so a turn carries only the events it has not seen (<see cref="WarmHistories"/>).
    /// </param>
    public async Task StreamAsync(IServerStreamWriter<WorkItem> stream, bool statefulHistory, CancellationToken ct)
    {
        var streamId = Guid.NewGuid();
        var warm = statefulHistory ? new WarmHistories() : null;
        Interlocked.Increment(ref _connected);
        logger.LogInformation("Workflow worker connected (work item stream {Stream})", streamId);
        try
        {
            await foreach (var item in _queue.Reader.ReadAllAsync(ct))
            {
                if (!_open.ContainsKey(item.Token) || item.Stream is not null)
                {
                    // answered or withdrawn while queued, or queued twice and already out on a live stream
                    continue;
                }

                item.Stream = streamId;
                await stream.WriteAsync(warm?.Trim(item.WorkItem) ?? item.WorkItem, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // the worker disconnected or the sidecar is stopping
        }
        catch (IOException e)
        {
            logger.LogInformation(e, "Workflow work item stream {Stream} broke", streamId);
        }
        finally
        {
            Interlocked.Decrement(ref _connected);
            var requeued = 0;
            foreach (var item in _open.Values.Where(i => i.Stream == streamId))
            {
                item.Stream = null;
                _queue.Writer.TryWrite(item);
                requeued++;
            }

            logger.LogInformation("Workflow work item stream {Stream} ended; {Count} unanswered work item(s) queued again", streamId, requeued);
        }
    }

    /// <summary>
    /// What one stateful-history stream's worker holds: per instance, how many committed events it was last sent, which
    /// it keeps (daprd: durabletask-go's per-stream <c>warm</c> map). A turn then carries only the events after that
    /// prefix, with <c>cachedHistory.eventCount</c> saying how long the prefix is; a worker whose cache disagrees fetches
    /// the history with <c>GetInstanceHistory</c>, so a wrong guess costs a round trip, never a wrong replay. A history
    /// shorter than the prefix (a new run of the id, continue-as-new) is sent whole. The map belongs to one stream and is
    /// dropped with it, as the worker drops its cache when it reconnects.
    /// </summary>
    private sealed class WarmHistories
    {
        /// <summary>Finished instances are never sent again, so nothing evicts them; past this many the map starts over.</summary>
        private const int MaxInstances = 100_000;

        private readonly Dictionary<string, int> _sent = new(StringComparer.Ordinal);

        /// <returns>The work item to send: the item itself, or a copy whose past events start after what the worker holds.</returns>
        public WorkItem Trim(WorkItem item)
        {
            if (item.WorkflowRequest is not { } request)
            {
                return item;
            }

            var past = request.PastEvents.Count;
            var held = _sent.GetValueOrDefault(request.InstanceId);
            if (_sent.Count >= MaxInstances)
            {
                _sent.Clear();
            }

            _sent[request.InstanceId] = past;
            if (held <= 0 || held > past)
            {
                return item;
            }

            // A new item rather than the queued one trimmed in place: should this stream break, the item is queued again
            // for a stream that holds nothing. The events are shared, not copied; nothing changes them once sent.
            var delta = new WorkflowRequest
            {
                InstanceId = request.InstanceId,
                ExecutionId = request.ExecutionId,
                CachedHistory = new CachedHistory { EventCount = held },
            };
            delta.PastEvents.AddRange(request.PastEvents.Skip(held));
            delta.NewEvents.AddRange(request.NewEvents);
            return new WorkItem { WorkflowRequest = delta, CompletionToken = item.CompletionToken };
        }
    }
}
