namespace Payments.Domain;

public enum RejectionKind
{
    /// <summary>The request contradicts what already happened (409): e.g. an authorization after a void.</summary>
    Conflict,

    /// <summary>The request is refused on business grounds (422): e.g. insufficient funds.</summary>
    Unprocessable,
}

/// <summary>A business answer: the caller must not retry it; <see cref="Code"/> names it for machines.</summary>
public sealed record Rejection(RejectionKind Kind, string Code, string Detail);

/// <summary>An event to append to the stream <see cref="StreamKey"/>.</summary>
public sealed record Append(string StreamKey, object Event);

/// <summary>
/// What a command decided from the current state: events to append (all in one transaction), nothing (a repeat), or a
/// rejection, which appends nothing.
/// </summary>
public sealed record Decision(IReadOnlyList<Append> Appends, Rejection? Rejection)
{
    public static readonly Decision Nothing = new([], null);

    public static Decision Accept(params Append[] appends) => new(appends, null);

    public static Decision Conflict(string code, string detail) => new([], new Rejection(RejectionKind.Conflict, code, detail));

    public static Decision Unprocessable(string code, string detail) => new([], new Rejection(RejectionKind.Unprocessable, code, detail));

    public IEnumerable<object> EventsFor(string streamKey) => Appends.Where(a => a.StreamKey == streamKey).Select(a => a.Event);
}

public static class Codes
{
    public const string InsufficientFunds = "insufficient-funds";
    public const string UnknownAccount = "unknown-account";
    public const string AccountClosed = "account-closed";
    public const string CurrencyMismatch = "currency-mismatch";
    public const string SystemAccount = "system-account";
    public const string DepositMismatch = "deposit-mismatch";
    public const string PaymentVoided = "payment-voided";
    public const string PaymentMismatch = "payment-mismatch";
    public const string NotAuthorized = "not-authorized";
    public const string NotDebited = "not-debited";
    public const string TransferRefunded = "transfer-refunded";
    public const string TransferMismatch = "transfer-mismatch";
}
