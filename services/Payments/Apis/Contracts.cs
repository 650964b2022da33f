using System.ComponentModel.DataAnnotations;
using Payments.Domain;

namespace Payments.Apis;

// The shapes of docs/checkout-saga.md, section "payments". Shape checks are attributes, checked before a handler runs.

public static class Limits
{
    public const string MinAmount = "0.01";
    public const string MaxAmount = "1000000000";
    public const string CurrencyPattern = "^[A-Z]{3}$";
}

public sealed record DepositRequest(
    [property: Required, RegularExpression(Ids.Pattern)] string? DepositId,
    [property: Required, Range(typeof(decimal), Limits.MinAmount, Limits.MaxAmount)] decimal? Amount,
    [property: Required, RegularExpression(Limits.CurrencyPattern)] string? Currency);

public sealed record AuthorizeRequest(
    [property: Required, RegularExpression(Ids.Pattern)] string? AccountId,
    [property: Required, Range(typeof(decimal), Limits.MinAmount, Limits.MaxAmount)] decimal? Amount,
    [property: Required, RegularExpression(Limits.CurrencyPattern)] string? Currency);

public sealed record DebitRequest(
    [property: Required, RegularExpression(Ids.Pattern)] string? From,
    [property: Required, Range(typeof(decimal), Limits.MinAmount, Limits.MaxAmount)] decimal? Amount,
    [property: Required, RegularExpression(Limits.CurrencyPattern)] string? Currency);

public sealed record CreditRequest([property: Required, RegularExpression(Ids.Pattern)] string? To);

public sealed record AccountResponse(string AccountId, decimal Balance, decimal Held, decimal Available, string Currency, long Version, bool Closed)
{
    public static AccountResponse From(Account a) => new(a.Id, a.Balance, a.Held, a.Available, a.Currency, a.Version, a.Closed);
}

/// <summary>For a tombstone (voided or refunded before any authorization) <c>accountId</c> and <c>currency</c> are null and <c>amount</c> 0.</summary>
public sealed record PaymentResponse(string OrderId, string? AccountId, decimal Amount, string? Currency, PaymentStatus Status)
{
    public static PaymentResponse From(Payment p) => new(p.OrderId, p.AccountId, p.Amount, p.Currency, p.Status);
}

public sealed record TransferResponse(string TransferId, string? From, string? To, decimal Amount, string? Currency, TransferStatus Status)
{
    public static TransferResponse Of(Transfer t) => new(t.TransferId, t.From, t.To, t.Amount, t.Currency, t.Status);
}

public sealed record HistoryEntry(long Version, string Type, object Data, DateTimeOffset Timestamp);
