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
        var ct = CancellationToken.None;
        await using var session = store.LightweightSession();
        var payments = await FetchAllAsync<Payment>(session, group.Select(c => StreamKeys.Payment(c.OrderId)), ct);
        // Only authorized payments move money; the others are refused or repeats, decided without any account.
        var accountIds = payments.Values
            .Select(p => p.Aggregate is { Status: PaymentStatus.Authorized, AccountId: { } accountId } ? accountId : null)
            .OfType<string>()
            .ToList();
        var accounts = accountIds.Count == 0
            ? new Dictionary<string, IEventStream<Account>>()
            : await FetchAllAsync<Account>(session, accountIds.Append(SystemAccounts.Merchant), ct);

        // Payment and account stream keys never collide (StreamKeys), so one lookup serves both.
        var streams = payments.Values.Select(Stream).Concat(accounts.Values.Select(Stream)).ToArray();
        // The state as each capture of the group leaves it, for the next one to decide on.
        var paymentNow = payments.ToDictionary(p => p.Key, p => p.Value.Aggregate, StringComparer.Ordinal);
        var accountNow = accounts.ToDictionary(a => a.Key, a => a.Value.Aggregate, StringComparer.Ordinal);
        var appends = new List<Append>();
        var outcomes = new List<Outcome<Payment>>(group.Count);
        foreach (var capture in group)
        {
            var paymentKey = StreamKeys.Payment(capture.OrderId);
            var payment = paymentNow[paymentKey];
            var customer = payment?.AccountId is { } accountId ? accountNow.GetValueOrDefault(accountId) : null;
            var decision = PaymentDecisions.Capture(capture.OrderId, payment, customer, accountNow.GetValueOrDefault(SystemAccounts.Merchant));
            foreach (var streamKey in decision.Appends.Select(a => a.StreamKey).Distinct(StringComparer.Ordinal))
            {
                if (streamKey == paymentKey)
                {
                    paymentNow[streamKey] = Payment.Fold(payment, streamKey, decision.EventsFor(streamKey));
                }
                else
                {
                    accountNow[streamKey] = Account.Fold(accountNow[streamKey], streamKey, decision.EventsFor(streamKey));
                }
            }

            appends.AddRange(decision.Appends);
            outcomes.Add(Result(decision, paymentNow[paymentKey]));
        }

        await CommitAsync(session, Decision.Accept([.. appends]), ct, streams);
        return outcomes;
    }

    private sealed class QueuedCapture(string orderId)
    {
        public string OrderId { get; } = orderId;

        public TaskCompletionSource<Outcome<Payment>> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
