using JasperFx;
using JasperFx.Events;
using Marten;
using Marten.Events;
using Npgsql;
using Payments.Domain;

namespace Payments.Infrastructure;

/// <summary>What a command led to: the state it left (also on a repeat), or a business rejection that wrote nothing.</summary>
public sealed record Outcome<T>(T? Value, Rejection? Rejection) where T : class;

/// <summary>A command kept losing the race for its streams; a fault (5xx), so the caller retries later.</summary>
public sealed class LedgerContentionException(string message, Exception inner) : Exception(message, inner);

/// <summary>A stream's snapshot was missing and has been rebuilt from its events; the command must run again.</summary>
public sealed class SnapshotRebuiltException(string streamKey) : Exception($"the snapshot of stream {streamKey} was missing and has been rebuilt");

/// <summary>
/// Runs the ledger's commands against Marten: fetch the streams a command touches for writing, let the pure decision
/// pick the events, append them to every stream and commit once. Marten checks each stream's version at the commit;
/// a command that lost a race is run again from fresh state, so concurrent commands are each applied once or refused
/// on business grounds, never lost and never applied twice.
/// </summary>
public sealed partial class Ledger(IDocumentStore store, NpgsqlDataSource dataSource, LedgerMetrics metrics, ILogger<Ledger> logger)
{
    /// <summary>
    /// Enough for 50 commands racing for one account (each round of the race lets at least one through, and the losers
    /// back off at random), few enough that a caller is not kept waiting beyond its own timeout.
    /// </summary>
    public const int MaxAttempts = 60;

    // Every capture and refund appends to the one merchant stream, every transfer step to transfers-in-flight. Left
    // to optimistic concurrency alone, N racing captures cost up to N² attempts, each fetching three streams: under
    // load the retries ate the CPU the commands needed and throughput collapsed (the saga benchmark fell from 25 to
    // 10 sagas/s when offered 50/s). Queuing them in the process makes each one commit first time; the version check
    // stays and still settles races with other instances. Captures queue and commit in groups (Ledger.Captures.cs); a
    // refund reads its payment stream first (a repeated one stops there, and a lost race backs off) and queues just
    // to read the two accounts and commit.
    private readonly SemaphoreSlim _merchant = new(1, 1);
    private readonly SemaphoreSlim _transfersInFlight = new(1, 1);

    public Task<Outcome<Account>> DepositAsync(Deposit command, CancellationToken ct) =>
        RunAsync("deposit", async session =>
        {
            var account = await FetchAsync<Account>(session, command.AccountId, ct);
            var receipt = await session.LoadAsync<DepositReceipt>(command.DepositId, ct);
            var decision = AccountDecisions.Deposit(account.Aggregate, receipt, command);
            if (decision.Appends.Count > 0)
            {
                // Inserted, not stored: the same deposit id racing on two accounts fails the second commit.
                session.Insert(new DepositReceipt(command.DepositId, command.AccountId, command.Amount, command.Currency));
            }

            await CommitAsync(session, decision, ct, Stream(account));
            return Result(decision, Account.Fold(account.Aggregate, command.AccountId, decision.EventsFor(command.AccountId)));
        }, ct);

    /// <returns>Neither a value nor a rejection when there is no such account.</returns>
    public Task<Outcome<Account>> CloseAsync(string accountId, CancellationToken ct) =>
        RunAsync("close", async session =>
        {
            var account = await FetchAsync<Account>(session, accountId, ct);
            if (account.Aggregate is null)
            {
                return new Outcome<Account>(null, null);
            }

            var decision = AccountDecisions.Close(account.Aggregate);
            await CommitAsync(session, decision, ct, Stream(account));
            return Result(decision, Account.Fold(account.Aggregate, accountId, decision.EventsFor(accountId)));
        }, ct);

    public Task<Outcome<Payment>> AuthorizeAsync(Authorize command, CancellationToken ct) =>
        RunAsync("authorize", async session =>
        {
            var (payment, account) = await FetchBothAsync<Payment, Account>(session, StreamKeys.Payment(command.OrderId), command.AccountId, ct);
            var decision = PaymentDecisions.Authorize(payment.Aggregate, account.Aggregate, command);
            await CommitAsync(session, decision, ct, Stream(payment), Stream(account));
            return Result(decision, PaymentAfter(payment, decision));
        }, ct);

    public Task<Outcome<Payment>> VoidAsync(string orderId, CancellationToken ct) =>
        RunAsync("void", async session =>
        {
            var payment = await FetchAsync<Payment>(session, StreamKeys.Payment(orderId), ct);
            var decision = PaymentDecisions.Void(orderId, payment.Aggregate);
            if (payment.Aggregate is { Status: PaymentStatus.Authorized, AccountId: { } accountId })
            {
                var customer = await FetchAsync<Account>(session, accountId, ct);
                await CommitAsync(session, decision, ct, Stream(payment), Stream(customer));
            }
            else
            {
                await CommitAsync(session, decision, ct, Stream(payment));
            }

            return Result(decision, PaymentAfter(payment, decision));
        }, ct);

    public Task<Outcome<Payment>> RefundAsync(string orderId, CancellationToken ct) =>
        RunAsync("refund", async session =>
        {
            var payment = await FetchAsync<Payment>(session, StreamKeys.Payment(orderId), ct);
            if (payment.Aggregate is not { Status: PaymentStatus.Captured, AccountId: { } accountId })
            {
                var nothingCaptured = PaymentDecisions.Refund(orderId, payment.Aggregate, null);
                await CommitAsync(session, nothingCaptured, ct, Stream(payment));
                return Result(nothingCaptured, PaymentAfter(payment, nothingCaptured));
            }

            return await OneAtATimeAsync(_merchant, async () =>
            {
                var (merchant, customer) = await FetchBothAsync<Account, Account>(session, SystemAccounts.Merchant, accountId, ct);
                var decision = PaymentDecisions.Refund(orderId, payment.Aggregate, merchant.Aggregate);
                await CommitAsync(session, decision, ct, Stream(payment), Stream(merchant), Stream(customer));
                return Result(decision, PaymentAfter(payment, decision));
            }, ct);
        }, ct);

    public Task<Outcome<Transfer>> DebitAsync(Debit command, CancellationToken ct) =>
        OneAtATimeAsync(_transfersInFlight, () => RunAsync("transfer-debit", async session =>
            {
                var transfer = await FetchAsync<Transfer>(session, StreamKeys.Transfer(command.TransferId), ct);
                // A system account as the source is refused by the decision; transfers-in-flight must not be fetched twice.
                var from = SystemAccounts.Contains(command.From) ? null : await FetchAsync<Account>(session, command.From, ct);
                var inFlight = await FetchAsync<Account>(session, SystemAccounts.TransfersInFlight, ct);
                var decision = TransferDecisions.Debit(transfer.Aggregate, from?.Aggregate, inFlight.Aggregate, command);
                await CommitAsync(session, decision, ct, from is null ? [Stream(transfer), Stream(inFlight)] : [Stream(transfer), Stream(from), Stream(inFlight)]);
                return Result(decision, TransferAfter(transfer, decision));
            }, ct), ct);

    public Task<Outcome<Transfer>> CreditAsync(string transferId, string to, CancellationToken ct) =>
        OneAtATimeAsync(_transfersInFlight, () => RunAsync("transfer-credit", async session =>
            {
                var transfer = await FetchAsync<Transfer>(session, StreamKeys.Transfer(transferId), ct);
                var inFlight = await FetchAsync<Account>(session, SystemAccounts.TransfersInFlight, ct);
                // A system account as the target is refused by the decision; it must not be fetched twice.
                var target = SystemAccounts.Contains(to) ? null : await FetchAsync<Account>(session, to, ct);
                var decision = TransferDecisions.Credit(transferId, transfer.Aggregate, to, target?.Aggregate);
                await CommitAsync(session, decision, ct, target is null ? [Stream(transfer), Stream(inFlight)] : [Stream(transfer), Stream(inFlight), Stream(target)]);
                return Result(decision, TransferAfter(transfer, decision));
            }, ct), ct);

    public Task<Outcome<Transfer>> RefundTransferAsync(string transferId, CancellationToken ct) =>
        OneAtATimeAsync(_transfersInFlight, () => RunAsync("transfer-refund", async session =>
            {
                var transfer = await FetchAsync<Transfer>(session, StreamKeys.Transfer(transferId), ct);
                var decision = TransferDecisions.Refund(transferId, transfer.Aggregate);
                if (transfer.Aggregate is { Status: TransferStatus.Debited, From: { } from })
                {
                    var inFlight = await FetchAsync<Account>(session, SystemAccounts.TransfersInFlight, ct);
                    var source = await FetchAsync<Account>(session, from, ct);
                    await CommitAsync(session, decision, ct, Stream(transfer), Stream(inFlight), Stream(source));
                }
                else
                {
                    await CommitAsync(session, decision, ct, Stream(transfer));
                }

                return Result(decision, TransferAfter(transfer, decision));
            }, ct), ct);

    public async Task<Account?> GetAccountAsync(string accountId, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        return await session.LoadAsync<Account>(accountId, ct);
    }

    public async Task<Payment?> GetPaymentAsync(string orderId, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        return await session.LoadAsync<Payment>(StreamKeys.Payment(orderId), ct);
    }

    public async Task<Transfer?> GetTransferAsync(string transferId, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        return await session.LoadAsync<Transfer>(StreamKeys.Transfer(transferId), ct);
    }

    /// <summary>The stream's events as stored (upcast to their current version), oldest first: the audit trail.</summary>
    public async Task<IReadOnlyList<IEvent>> HistoryAsync(string streamKey, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        return await session.Events.FetchStreamAsync(streamKey, token: ct);
    }

    /// <summary>The sum of all balances per currency, in one statement and so from one consistent snapshot.</summary>
    public async Task<IReadOnlyDictionary<string, decimal>> TotalsAsync(CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT data ->> 'currency', sum((data ->> 'balance')::numeric) FROM mt_doc_account GROUP BY 1 ORDER BY 1");
        await using var reader = await command.ExecuteReaderAsync(ct);
        var totals = new SortedDictionary<string, decimal>(StringComparer.Ordinal);
        while (await reader.ReadAsync(ct))
        {
            totals[reader.GetString(0)] = reader.GetDecimal(1);
        }

        return totals;
    }

    private static async Task<Outcome<T>> OneAtATimeAsync<T>(SemaphoreSlim gate, Func<Task<Outcome<T>>> command, CancellationToken ct) where T : class
    {
        await gate.WaitAsync(ct);
        try
        {
            return await command();
        }
        finally
        {
            gate.Release();
        }
    }

    private Task<Outcome<T>> RunAsync<T>(string operation, Func<IDocumentSession, Task<Outcome<T>>> attempt, CancellationToken ct) where T : class =>
        RunAsync(operation, async () =>
        {
            // A fresh session per attempt: a session that failed to commit still holds the stale state and the events.
            await using var session = store.LightweightSession();
            return await attempt(session);
        }, ct);

    /// <summary>Runs <paramref name="attempt"/> until it is not refused by a concurrency conflict, backing off in between.</summary>
    private async Task<Outcome<T>> RunAsync<T>(string operation, Func<Task<Outcome<T>>> attempt, CancellationToken ct) where T : class
    {
        for (var attemptNumber = 1; ; attemptNumber++)
        {
            try
            {
                var outcome = await attempt();
                metrics.Handled(operation, outcome.Rejection?.Code ?? "ok");
                return outcome;
            }
            catch (Exception e) when (IsConcurrencyConflict(e))
            {
                metrics.Conflict(operation);
                if (attemptNumber == MaxAttempts)
                {
                    throw new LedgerContentionException($"{operation} lost the race for its streams {MaxAttempts} times", e);
                }

                logger.LogDebug("{Operation} lost a concurrency race (attempt {Attempt}): {Reason}", operation, attemptNumber, e.Message);
                await Task.Delay(Backoff(attemptNumber), ct);
            }
        }
    }

    /// <summary>
    /// Another command committed to one of the streams (or created it, or used the same deposit id) after this one read it.
    /// </summary>
    /// <remarks>
    /// Marten reports two commits that both start a stream, and two that both append the next version of one stream
    /// (the (stream_id, version) key of mt_events), as Marten.Exceptions.ExistingStreamIdCollisionException.
    /// </remarks>
    private static bool IsConcurrencyConflict(Exception e) =>
        e is ConcurrencyException
            or EventStreamUnexpectedMaxEventIdException
            or ExistingStreamIdCollisionException or Marten.Exceptions.ExistingStreamIdCollisionException
            or DocumentAlreadyExistsException or SnapshotRebuiltException;

    /// <summary>Random, growing up to 50 ms: losers that wait the same time would only collide again.</summary>
    private static TimeSpan Backoff(int attempt) =>
        TimeSpan.FromMilliseconds(Random.Shared.Next(1, 1 + Math.Min(50, 5 * attempt)));

    /// <summary>
    /// Fetches a stream for writing, starting from its inline snapshot. A stream whose events were written without the
    /// snapshot (imported, or written before the projection existed) has events but no document, and Marten would then
    /// start from nothing: the command would decide on an empty account. Such a snapshot is rebuilt from the events
    /// (upcast as they are read), and the command runs again.
    /// </summary>
    private async Task<IEventStream<T>> FetchAsync<T>(IDocumentSession session, string key, CancellationToken ct) where T : class =>
        await EnsureSnapshotAsync(await session.Events.FetchForWriting<T>(key, ct), ct);

    /// <summary>
    /// <see cref="FetchAsync{T}"/> for two streams in one round trip (a Marten batch query): a command that touches two
    /// streams known up front should not wait for the database twice. Each stream keeps its own version check.
    /// </summary>
    private async Task<(IEventStream<TFirst> First, IEventStream<TSecond> Second)> FetchBothAsync<TFirst, TSecond>(
        IDocumentSession session, string firstKey, string secondKey, CancellationToken ct) where TFirst : class where TSecond : class
    {
        var batch = session.CreateBatchQuery();
        var first = batch.Events.FetchForWriting<TFirst>(firstKey);
        var second = batch.Events.FetchForWriting<TSecond>(secondKey);
        await batch.Execute(ct);
        return (await EnsureSnapshotAsync(await first, ct), await EnsureSnapshotAsync(await second, ct));
    }

    /// <summary>
    /// <see cref="FetchAsync{T}"/> for any number of streams of one kind in one round trip (a Marten batch query), each
    /// with its own version check; keyed by stream key.
    /// </summary>
    private async Task<Dictionary<string, IEventStream<T>>> FetchAllAsync<T>(IDocumentSession session, IEnumerable<string> keys, CancellationToken ct) where T : class
    {
        var batch = session.CreateBatchQuery();
        var fetching = keys.Distinct(StringComparer.Ordinal).ToDictionary(key => key, key => batch.Events.FetchForWriting<T>(key), StringComparer.Ordinal);
        await batch.Execute(ct);
        var streams = new Dictionary<string, IEventStream<T>>(StringComparer.Ordinal);
        foreach (var (key, stream) in fetching)
        {
            streams[key] = await EnsureSnapshotAsync(await stream, ct);
        }

        return streams;
    }

    /// <remarks>
    /// A stream with no snapshot at version 0 does not exist yet (every new payment stream): no query. Only a stream at a
    /// version but without a document is checked, in one statement, before it is rebuilt.
    /// </remarks>
    private async Task<IEventStream<T>> EnsureSnapshotAsync<T>(IEventStream<T> stream, CancellationToken ct) where T : class
    {
        var key = stream.Key ?? throw new InvalidOperationException("streams here have string keys");
        if (stream.Aggregate is null && stream.StartingVersion > 0 && await HasEventsButNoSnapshotAsync<T>(key, ct))
        {
            logger.LogWarning("Stream {Stream} has events but no {Snapshot} snapshot; rebuilding it", key, typeof(T).Name);
            await store.Advanced.RebuildSingleStreamAsync<T>(key, ct);
            throw new SnapshotRebuiltException(key);
        }

        return stream;
    }

    /// <remarks>
    /// One statement, so one view of the database: an inline snapshot commits with its stream, so a stream without its
    /// document here was written around the projection. Asking for the stream and the document separately would mistake
    /// a stream another command has just started for such a stream, and a rebuild racing that command's next commits
    /// could overwrite a newer snapshot with an older one.
    /// </remarks>
    private async Task<bool> HasEventsButNoSnapshotAsync<T>(string key, CancellationToken ct)
    {
        // Marten's default table for a document type: mt_doc_ and the type's name in lower case.
        var table = "mt_doc_" + typeof(T).Name.ToLowerInvariant();
        await using var command = dataSource.CreateCommand(
            $"SELECT NOT EXISTS (SELECT 1 FROM {table} d WHERE d.id = s.id) FROM mt_streams s WHERE s.id = $1");
        command.Parameters.Add(new() { Value = key });
        return await command.ExecuteScalarAsync(ct) is true;
    }

    private static (string Key, Action<object> Append) Stream<T>(IEventStream<T> stream) where T : class =>
        (stream.Key ?? throw new InvalidOperationException("streams here have string keys"), e => stream.AppendOne(e));

    private static async Task CommitAsync(IDocumentSession session, Decision decision, CancellationToken ct, params (string Key, Action<object> Append)[] streams)
    {
        if (decision.Appends.Count == 0)
        {
            return;
        }

        foreach (var append in decision.Appends)
        {
            var stream = streams.FirstOrDefault(s => s.Key == append.StreamKey);
            if (stream.Append is null)
            {
                throw new InvalidOperationException($"the decision appends to {append.StreamKey}, which the command did not fetch for writing");
            }

            stream.Append(append.Event);
        }

        await session.SaveChangesAsync(ct);
    }

    private static Outcome<T> Result<T>(Decision decision, T? after) where T : class =>
        decision.Rejection is { } rejection ? new Outcome<T>(null, rejection) : new Outcome<T>(after, null);

    private static Payment? PaymentAfter(IEventStream<Payment> payment, Decision decision) =>
        Payment.Fold(payment.Aggregate, payment.Key!, decision.EventsFor(payment.Key!));

    private static Transfer? TransferAfter(IEventStream<Transfer> transfer, Decision decision) =>
        Transfer.Fold(transfer.Aggregate, transfer.Key!, decision.EventsFor(transfer.Key!));
}
