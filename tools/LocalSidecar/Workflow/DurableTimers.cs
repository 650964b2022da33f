namespace LocalSidecar.Workflow;

/// <summary>
/// Due times for workflow timers and delayed starts, standing in for daprd's Scheduler reminders. The timers themselves
/// are not stored: each one is derived again from the state store after a restart (a TimerCreated without its
/// TimerFired, a start event with a scheduled time), which is what makes them durable. One loop serves them all, so a
/// timer set for the year 9999 — the SDK's sentinel for a wait without timeout — costs nothing.
/// </summary>
public sealed class DurableTimers : IAsyncDisposable
{
    // Long sleeps are cut so that a clock change is noticed and Task.Delay's limit is never reached.
    private static readonly TimeSpan MaxSleep = TimeSpan.FromMinutes(1);

    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly PriorityQueue<Entry, DateTimeOffset> _due = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _sequence;
    private int _disposed;

    private sealed record Entry(long Sequence, string InstanceId, DateTimeOffset DueAt, Func<CancellationToken, Task> Fire)
    {
        public bool Cancelled { get; set; }
    }

    public DurableTimers(TimeProvider time, ILogger logger)
    {
        _time = time;
        _logger = logger;
        _loop = Task.Run(RunAsync);
    }

    public void Schedule(string instanceId, DateTimeOffset dueAt, Func<CancellationToken, Task> fire)
    {
        lock (_gate)
        {
            _due.Enqueue(new Entry(++_sequence, instanceId, dueAt, fire), dueAt);
            _wake.TrySetResult();
        }
    }

    /// <summary>Forgets every timer of an instance: it finished, continued as new, or was purged.</summary>
    public void CancelAll(string instanceId)
    {
        lock (_gate)
        {
            foreach (var (entry, _) in _due.UnorderedItems)
            {
                if (entry.InstanceId == instanceId)
                {
                    entry.Cancelled = true;
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        // The runtime is both a singleton and a hosted service; the container disposes it once for each.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stopping.CancelAsync();
        await _loop;
        _stopping.Dispose();
    }

    private async Task RunAsync()
    {
        var ct = _stopping.Token;
        while (!ct.IsCancellationRequested)
        {
            Task wake;
            TimeSpan sleep;
            var ready = new List<Entry>();
            lock (_gate)
            {
                var now = _time.GetUtcNow();
                while (_due.TryPeek(out var entry, out var dueAt) && (entry.Cancelled || dueAt <= now))
                {
                    _due.Dequeue();
                    if (!entry.Cancelled)
                    {
                        ready.Add(entry);
                    }
                }

                sleep = _due.TryPeek(out _, out var next) ? next - now : MaxSleep;
                if (sleep > MaxSleep)
                {
                    sleep = MaxSleep;
                }

                _wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wake = _wake.Task;
            }

            foreach (var entry in ready)
            {
                // Each firing goes into the instance's inbox on its own task, so a slow store does not hold back the others.
                _ = FireAsync(entry, ct);
            }

            using var sleeping = CancellationTokenSource.CreateLinkedTokenSource(ct);
            await Task.WhenAny(wake, Task.Delay(sleep, _time, sleeping.Token));
            await sleeping.CancelAsync();
        }
    }

    private async Task FireAsync(Entry entry, CancellationToken ct)
    {
        try
        {
            await entry.Fire(ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // the sidecar is stopping; the timer is derived again from the store on the next start
        }
        catch (Exception e)
        {
            // The owner has already scheduled a resync that derives the timer again from the store.
            _logger.LogError(e, "Workflow timer of instance {InstanceId} due at {DueAt} could not be delivered", entry.InstanceId, entry.DueAt);
        }
    }
}
