using System.Collections.Concurrent;
using JasperFx.Events;
using Payments.Domain;

namespace Payments.Infrastructure;

/// <summary>
/// Captures, committed in groups. Every capture appends to the one merchant stream, so captures go one group at a
/// time; one at a time, the queue was the saga benchmark's bottleneck (busy ~97 % at ~72 captures/s, captures waiting
/// 0.35-1.2 s for it at p50), since each paid three round trips (payment, accounts, commit) while holding it.
/// </summary>
/// <remarks>
/// <para>
/// A capture joins the queue; whoever holds the merchant gate next takes up to <see cref="MaxCaptureGroup"/> queued
/// captures and runs them together in one session: one round trip reads their payment streams, one the accounts they
/// touch, each capture is decided in queue order against the state the ones before it left (two captures of one
/// customer, or a capture queued twice, see each other), and one commit writes them all. The events are the same as
/// one capture at a time: one <see cref="PaymentCaptured"/>, <see cref="HeldFundsDebited"/> and
/// <see cref="FundsCredited"/> per capture, each on its own stream, each stream's version checked at the commit.
/// </para>
/// <para>
/// A group whose commit fails is split in two and each half committed on its own from fresh state, down to single
/// captures, so a fault is its own capture's and nobody else's; a capture that loses a race alone goes back to its
/// caller's retry loop.
/// </para>
/// </remarks>
public sealed partial class Ledger
{
    /// <summary>Enough to empty the queue at the saga benchmark's rates in one group; small enough for one quick commit.</summary>
    public const int MaxCaptureGroup = 32;

    private readonly ConcurrentQueue<QueuedCapture> _captures = new();

    public Task<Outcome<Payment>> CaptureAsync(string orderId, CancellationToken ct) =>
        RunAsync("capture", async () =>
        {
            var capture = new QueuedCapture(orderId);
            _captures.Enqueue(capture);
            while (!capture.Outcome.Task.IsCompleted)
            {
                try
                {
                    await _merchant.WaitAsync(ct);
                }
                catch (OperationCanceledException)
                {
                    // Given up while queued: the next group leaves it out, unless one has taken it already.
                    capture.Outcome.TrySetCanceled(ct);
                    throw;
                }

                try
                {
                    // Another holder of the gate may have committed this capture with its group meanwhile.
                    if (!capture.Outcome.Task.IsCompleted)
                    {
                        await CommitQueuedCapturesAsync();
                    }
                }
                finally
                {
                    _merchant.Release();
                }
            }

            return await capture.Outcome.Task;
        }, ct);

    /// <remarks>
    /// Not cancelled by the caller that happens to hold the gate: the group is other callers' work too. A caller that
    /// gives up once its capture is in a group is still captured; capturing is idempotent, so its retry answers with
    /// the captured payment.
    /// </remarks>
    private async Task CommitQueuedCapturesAsync()
    {
        var group = new List<QueuedCapture>(MaxCaptureGroup);
        while (group.Count < MaxCaptureGroup && _captures.TryDequeue(out var queued))
        {
            if (!queued.Outcome.Task.IsCompleted)
            {
                group.Add(queued);
            }
        }

        if (group.Count == 0)
        {
            return;
        }

        metrics.CaptureGroup(group.Count);
        await CommitOrSplitAsync(group);
    }

    /// <summary>
    /// Commits the group, or, when that fails, each half of it in turn from fresh state: a capture whose customer had a
    /// hold placed meanwhile (authorizations do not queue) fails only its half, and a capture that cannot be committed
    /// at all ends up alone and fails on its own.
    /// </summary>
    private async Task CommitOrSplitAsync(IReadOnlyList<QueuedCapture> group)
    {
        try
        {
            var outcomes = await CaptureTogetherAsync(group);
            for (var i = 0; i < group.Count; i++)
            {
                group[i].Outcome.TrySetResult(outcomes[i]);
            }
        }
        catch (Exception e) when (group.Count > 1)
        {
            metrics.CaptureGroupSplit();
            logger.LogDebug(e, "A group of {Count} captures failed to commit; committing each half on its own", group.Count);
            var half = group.Count / 2;
            await CommitOrSplitAsync(group.Take(half).ToList());
            await CommitOrSplitAsync(group.Skip(half).ToList());
        }
        catch (Exception e)
        {
            // A lost race goes back to its caller's retry loop; anything else is the caller's answer.
            group[0].Outcome.TrySetException(e);
        }
    }

    private async Task<IReadOnlyList<Outcome<Payment>>> CaptureTogetherAsync(IReadOnlyList<QueuedCapture> group)
    {
        await using var session = store.LightweightSession();

        var paymentQuery = session.CreateBatchQuery();
        var fetchingPayments = group.Select(c => c.OrderId).Distinct(StringComparer.Ordinal)
            .ToDictionary(orderId => orderId, orderId => paymentQuery.Events.FetchForWriting<Payment>(StreamKeys.Payment(orderId)), StringComparer.Ordinal);
        await paymentQuery.Execute(CancellationToken.None);
        var payments = new Dictionary<string, IEventStream<Payment>>(StringComparer.Ordinal);
        foreach (var (orderId, fetching) in fetchingPayments)
        {
            payments[orderId] = await EnsureSnapshotAsync(await fetching, CancellationToken.None);
        }

        // Only authorized payments move money; the others are refused or repeats, decided without any account.
        var accountIds = payments.Values
            .Select(p => p.Aggregate is { Status: PaymentStatus.Authorized, AccountId: { } accountId } ? accountId : null)
            .OfType<string>()
            .ToHashSet(StringComparer.Ordinal);
        var accounts = new Dictionary<string, IEventStream<Account>>(StringComparer.Ordinal);
        if (accountIds.Count > 0)
        {
            accountIds.Add(SystemAccounts.Merchant);
            var accountQuery = session.CreateBatchQuery();
            var fetchingAccounts = accountIds.ToDictionary(id => id, id => accountQuery.Events.FetchForWriting<Account>(id), StringComparer.Ordinal);
            await accountQuery.Execute(CancellationToken.None);
            foreach (var (id, fetching) in fetchingAccounts)
            {
                accounts[id] = await EnsureSnapshotAsync(await fetching, CancellationToken.None);
            }
        }

        // The state as each capture of the group leaves it, for the next one to decide on.
        var paymentNow = payments.ToDictionary(p => p.Key, p => p.Value.Aggregate, StringComparer.Ordinal);
        var accountNow = accounts.ToDictionary(a => a.Key, a => a.Value.Aggregate, StringComparer.Ordinal);
        var outcomes = new List<Outcome<Payment>>(group.Count);
        var appended = false;
        foreach (var capture in group)
        {
            var payment = paymentNow[capture.OrderId];
            var customer = payment?.AccountId is { } accountId ? accountNow.GetValueOrDefault(accountId) : null;
            var decision = PaymentDecisions.Capture(capture.OrderId, payment, customer, accountNow.GetValueOrDefault(SystemAccounts.Merchant));
            var paymentKey = StreamKeys.Payment(capture.OrderId);
            foreach (var append in decision.Appends)
            {
                appended = true;
                if (append.StreamKey == paymentKey)
                {
                    payments[capture.OrderId].AppendOne(append.Event);
                }
                else if (accounts.TryGetValue(append.StreamKey, out var account))
                {
                    account.AppendOne(append.Event);
                }
                else
                {
                    throw new InvalidOperationException($"the capture of {capture.OrderId} appends to {append.StreamKey}, which was not fetched for writing");
                }
            }

            foreach (var streamKey in decision.Appends.Select(a => a.StreamKey).Distinct(StringComparer.Ordinal))
            {
                if (streamKey == paymentKey)
                {
                    paymentNow[capture.OrderId] = Payment.Fold(payment, streamKey, decision.EventsFor(streamKey));
                }
                else
                {
                    accountNow[streamKey] = Account.Fold(accountNow[streamKey], streamKey, decision.EventsFor(streamKey));
                }
            }

            outcomes.Add(Result(decision, paymentNow[capture.OrderId]));
        }

        if (appended)
        {
            await session.SaveChangesAsync(CancellationToken.None);
        }

        return outcomes;
    }

    private sealed class QueuedCapture(string orderId)
    {
        public string OrderId { get; } = orderId;

        public TaskCompletionSource<Outcome<Payment>> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
