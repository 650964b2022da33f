namespace Payments.Domain;

public enum PaymentStatus
{
    Authorized,
    Captured,
    Voided,
    Refunded,
}

/// <summary>The payment of one order, the state of its stream <c>payment:{orderId}</c>.</summary>
public sealed record Payment
{
    /// <summary>The stream key, <c>payment:{orderId}</c>.</summary>
    public string Id { get; init; } = "";

    public string OrderId { get; init; } = "";

    /// <summary>Null for a tombstone: a void or refund that came before any authorization.</summary>
    public string? AccountId { get; init; }

    public decimal Amount { get; init; }

    public string? Currency { get; init; }

    public PaymentStatus Status { get; init; }

    public long Version { get; init; }

    public bool IsTombstone => AccountId is null;

    public static Payment Create(PaymentAuthorized e) =>
        new() { OrderId = e.OrderId, AccountId = e.AccountId, Amount = e.Amount, Currency = e.Currency, Status = PaymentStatus.Authorized };

    public static Payment Create(PaymentVoided e) => new() { OrderId = e.OrderId, Status = PaymentStatus.Voided };

    public static Payment Create(PaymentRefunded e) => new() { OrderId = e.OrderId, Status = PaymentStatus.Refunded };

    public Payment Apply(PaymentCaptured e) => this with { Status = PaymentStatus.Captured };

    public Payment Apply(PaymentVoided e) => this with { Status = PaymentStatus.Voided };

    public Payment Apply(PaymentRefunded e) => this with { Status = PaymentStatus.Refunded };

    public static Payment? Fold(Payment? state, string id, IEnumerable<object> events)
    {
        foreach (var e in events)
        {
            state = (state, e) switch
            {
                (null, PaymentAuthorized a) => Create(a),
                (null, PaymentVoided v) => Create(v),
                (null, PaymentRefunded r) => Create(r),
                (null, _) => throw new InvalidOperationException($"a payment stream cannot start with {e.GetType().Name}"),
                (_, PaymentCaptured c) => state.Apply(c),
                (_, PaymentVoided v) => state.Apply(v),
                (_, PaymentRefunded r) => state.Apply(r),
                _ => throw new InvalidOperationException($"{e.GetType().Name} does not belong on a payment stream"),
            };
            state = state with { Id = id, Version = state.Version + 1 };
        }

        return state;
    }
}

public sealed record Authorize(string OrderId, string AccountId, decimal Amount, string Currency);

/// <summary>
/// The rules of a payment. Each takes the payment's state and the accounts it touches as they are now, and decides the
/// events for all of them; a repeat decides nothing, so it answers with the state the first call left.
/// </summary>
public static class PaymentDecisions
{
    public static Decision Authorize(Payment? payment, Account? account, Authorize command)
    {
        if (payment is not null)
        {
            if (payment.IsTombstone || payment.Status == PaymentStatus.Voided)
            {
                return Decision.Conflict(Codes.PaymentVoided, $"The payment of order {command.OrderId} was voided; it cannot be authorized any more.");
            }

            return payment.AccountId == command.AccountId && payment.Amount == command.Amount && payment.Currency == command.Currency
                ? Decision.Nothing
                : Decision.Conflict(Codes.PaymentMismatch,
                    $"Order {command.OrderId} was authorized for {payment.Amount} {payment.Currency} on {payment.AccountId}.");
        }

        if (SystemAccounts.Contains(command.AccountId))
        {
            return AccountDecisions.SystemAccount(command.AccountId);
        }

        if (account is null)
        {
            return AccountDecisions.UnknownAccount(command.AccountId);
        }

        if (account.Currency != command.Currency)
        {
            return AccountDecisions.CurrencyMismatch(account.Id, account.Currency, command.Currency);
        }

        if (account.Available < command.Amount)
        {
            return AccountDecisions.InsufficientFunds(account, command.Amount);
        }

        return Decision.Accept(
            new Append(StreamKeys.Payment(command.OrderId), new PaymentAuthorized(command.OrderId, command.AccountId, command.Amount, command.Currency)),
            new Append(command.AccountId, new FundsHeld(command.OrderId, command.Amount)));
    }

    /// <param name="customer">The authorized account; null only when there is no authorization.</param>
    public static Decision Capture(string orderId, Payment? payment, Account? customer, Account? merchant)
    {
        if (payment is null || payment.IsTombstone || payment.Status == PaymentStatus.Voided)
        {
            return Decision.Conflict(Codes.NotAuthorized, $"The payment of order {orderId} is not authorized.");
        }

        if (payment.Status != PaymentStatus.Authorized)
        {
            return Decision.Nothing;
        }

        var (accountId, currency) = (payment.AccountId!, payment.Currency!);
        if (customer is null)
        {
            throw new InvalidOperationException($"payment {orderId} holds money on account {accountId}, which has no stream");
        }

        if (merchant is not null && merchant.Currency != currency)
        {
            return AccountDecisions.CurrencyMismatch(SystemAccounts.Merchant, merchant.Currency, currency);
        }

        var reference = StreamKeys.Payment(orderId);
        return Decision.Accept(
            new Append(reference, new PaymentCaptured(orderId)),
            new Append(accountId, new HeldFundsDebited(orderId, payment.Amount, SystemAccounts.Merchant)),
            new Append(SystemAccounts.Merchant, new FundsCredited(reference, payment.Amount, currency, accountId)));
    }

    public static Decision Void(string orderId, Payment? payment)
    {
        var reference = StreamKeys.Payment(orderId);
        return payment switch
        {
            // The tombstone: an authorization arriving after this void is refused.
            null => Decision.Accept(new Append(reference, new PaymentVoided(orderId))),
            { Status: PaymentStatus.Authorized } => Decision.Accept(
                new Append(reference, new PaymentVoided(orderId)),
                new Append(payment.AccountId!, new HoldReleased(orderId, payment.Amount))),
            // Captured: the money has moved, only a refund brings it back. Voided, Refunded: nothing is held.
            _ => Decision.Nothing,
        };
    }

    public static Decision Refund(string orderId, Payment? payment, Account? merchant)
    {
        var reference = StreamKeys.Payment(orderId);
        switch (payment)
        {
            case null:
                return Decision.Accept(new Append(reference, new PaymentRefunded(orderId)));
            case { Status: PaymentStatus.Captured }:
                var accountId = payment.AccountId!;
                if (merchant is null)
                {
                    throw new InvalidOperationException($"payment {orderId} was captured, yet the merchant account has no stream");
                }

                if (merchant.Available < payment.Amount)
                {
                    return AccountDecisions.InsufficientFunds(merchant, payment.Amount);
                }

                // Money returning to where it came from is accepted even by a closed account: a compensation must not fail.
                return Decision.Accept(
                    new Append(reference, new PaymentRefunded(orderId)),
                    new Append(SystemAccounts.Merchant, new FundsDebited(reference, payment.Amount, accountId)),
                    new Append(accountId, new FundsCredited(reference, payment.Amount, payment.Currency!, SystemAccounts.Merchant)));
            default:
                // Authorized only: nothing was captured (the saga voids next). Voided, Refunded: nothing to give back.
                return Decision.Nothing;
        }
    }
}
