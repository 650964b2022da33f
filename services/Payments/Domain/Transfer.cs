namespace Payments.Domain;

public enum TransferStatus
{
    /// <summary>The money left <c>from</c> and waits in <c>transfers-in-flight</c>: the transfer is pending.</summary>
    Debited,
    Credited,
    Refunded,
}

/// <summary>One transfer, the state of its stream <c>transfer:{transferId}</c>.</summary>
public sealed record Transfer
{
    public string Id { get; init; } = "";

    public string TransferId { get; init; } = "";

    /// <summary>Null for a tombstone: a refund that came before any debit.</summary>
    public string? From { get; init; }

    public string? To { get; init; }

    public decimal Amount { get; init; }

    public string? Currency { get; init; }

    public TransferStatus Status { get; init; }

    public long Version { get; init; }

    public bool IsTombstone => From is null;

    public static Transfer Create(TransferDebited e) =>
        new() { TransferId = e.TransferId, From = e.From, Amount = e.Amount, Currency = e.Currency, Status = TransferStatus.Debited };

    public static Transfer Create(TransferRefunded e) => new() { TransferId = e.TransferId, Status = TransferStatus.Refunded };

    public Transfer Apply(TransferCredited e) => this with { To = e.To, Status = TransferStatus.Credited };

    public Transfer Apply(TransferRefunded e) => this with { Status = TransferStatus.Refunded };

    public static Transfer? Fold(Transfer? state, string id, IEnumerable<object> events)
    {
        foreach (var e in events)
        {
            state = (state, e) switch
            {
                (null, TransferDebited d) => Create(d),
                (null, TransferRefunded r) => Create(r),
                (null, _) => throw new InvalidOperationException($"a transfer stream cannot start with {e.GetType().Name}"),
                (_, TransferCredited c) => state.Apply(c),
                (_, TransferRefunded r) => state.Apply(r),
                _ => throw new InvalidOperationException($"{e.GetType().Name} does not belong on a transfer stream"),
            };
            state = state with { Id = id, Version = state.Version + 1 };
        }

        return state;
    }
}

public sealed record Debit(string TransferId, string From, decimal Amount, string Currency);

/// <summary>The transfer workflow's steps: debit into <c>transfers-in-flight</c>, then credit out of it, or refund.</summary>
public static class TransferDecisions
{
    public static Decision Debit(Transfer? transfer, Account? from, Account? inFlight, Debit command)
    {
        if (transfer is not null)
        {
            if (transfer.IsTombstone)
            {
                return Decision.Conflict(Codes.TransferRefunded, $"Transfer {command.TransferId} was refunded before it was debited; it cannot be debited any more.");
            }

            return transfer.From == command.From && transfer.Amount == command.Amount && transfer.Currency == command.Currency
                ? Decision.Nothing
                : Decision.Conflict(Codes.TransferMismatch,
                    $"Transfer {command.TransferId} debited {transfer.Amount} {transfer.Currency} from {transfer.From}.");
        }

        if (SystemAccounts.Contains(command.From))
        {
            return AccountDecisions.SystemAccount(command.From);
        }

        if (from is null)
        {
            return AccountDecisions.UnknownAccount(command.From);
        }

        if (from.Currency != command.Currency)
        {
            return AccountDecisions.CurrencyMismatch(from.Id, from.Currency, command.Currency);
        }

        if (inFlight is not null && inFlight.Currency != command.Currency)
        {
            return AccountDecisions.CurrencyMismatch(SystemAccounts.TransfersInFlight, inFlight.Currency, command.Currency);
        }

        if (from.Available < command.Amount)
        {
            return AccountDecisions.InsufficientFunds(from, command.Amount);
        }

        var reference = StreamKeys.Transfer(command.TransferId);
        return Decision.Accept(
            new Append(reference, new TransferDebited(command.TransferId, command.From, command.Amount, command.Currency)),
            new Append(command.From, new FundsDebited(reference, command.Amount, SystemAccounts.TransfersInFlight)),
            new Append(SystemAccounts.TransfersInFlight, new FundsCredited(reference, command.Amount, command.Currency, command.From)));
    }

    public static Decision Credit(string transferId, Transfer? transfer, string toId, Account? to)
    {
        if (transfer is null)
        {
            return Decision.Conflict(Codes.NotDebited, $"Transfer {transferId} was not debited; there is nothing to credit.");
        }

        switch (transfer.Status)
        {
            case TransferStatus.Refunded:
                return Decision.Conflict(Codes.TransferRefunded, $"Transfer {transferId} was refunded to {transfer.From ?? "nobody"}.");
            case TransferStatus.Credited:
                return transfer.To == toId
                    ? Decision.Nothing
                    : Decision.Conflict(Codes.TransferMismatch, $"Transfer {transferId} was credited to {transfer.To}.");
        }

        if (SystemAccounts.Contains(toId))
        {
            return AccountDecisions.SystemAccount(toId);
        }

        if (to is null)
        {
            return AccountDecisions.UnknownAccount(toId);
        }

        if (to.Closed)
        {
            return Decision.Unprocessable(Codes.AccountClosed, $"Account {toId} is closed and accepts no credit.");
        }

        if (to.Currency != transfer.Currency)
        {
            return AccountDecisions.CurrencyMismatch(toId, to.Currency, transfer.Currency!);
        }

        var reference = StreamKeys.Transfer(transferId);
        return Decision.Accept(
            new Append(reference, new TransferCredited(transferId, toId)),
            new Append(SystemAccounts.TransfersInFlight, new FundsDebited(reference, transfer.Amount, toId)),
            new Append(toId, new FundsCredited(reference, transfer.Amount, transfer.Currency!, SystemAccounts.TransfersInFlight)));
    }

    public static Decision Refund(string transferId, Transfer? transfer)
    {
        var reference = StreamKeys.Transfer(transferId);
        return transfer switch
        {
            // The tombstone: a debit arriving after this refund is refused.
            null => Decision.Accept(new Append(reference, new TransferRefunded(transferId))),
            // Money returning to where it came from is accepted even by a closed account: a compensation must not fail.
            { Status: TransferStatus.Debited } => Decision.Accept(
                new Append(reference, new TransferRefunded(transferId)),
                new Append(SystemAccounts.TransfersInFlight, new FundsDebited(reference, transfer.Amount, transfer.From!)),
                new Append(transfer.From!, new FundsCredited(reference, transfer.Amount, transfer.Currency!, SystemAccounts.TransfersInFlight))),
            _ => Decision.Nothing,
        };
    }
}
