namespace Payments.Domain;

// The events are the ledger's record of what happened; once written they are never changed, only upcast on read.
// Every movement of money is a pair: a debit event on one account stream and a credit event on another, written in
// one transaction, so the sum of all balances changes only by deposits.

// --- account streams (key: the account id) ---

/// <summary>v2: carries the currency. v1 had none (every account was in <see cref="Money.LegacyCurrency"/>) and is upcast on read.</summary>
public sealed record FundsDeposited(string DepositId, decimal Amount, string Currency);

/// <summary>An authorization's hold: the money stays in the balance but is no longer available.</summary>
public sealed record FundsHeld(string OrderId, decimal Amount);

public sealed record HoldReleased(string OrderId, decimal Amount);

/// <summary>A capture: the held amount leaves the account for <paramref name="To"/>.</summary>
public sealed record HeldFundsDebited(string OrderId, decimal Amount, string To);

/// <summary>Money leaves the account for <paramref name="To"/>; <paramref name="Reference"/> is the payment or transfer stream.</summary>
public sealed record FundsDebited(string Reference, decimal Amount, string To);

/// <summary>Money arrives from <paramref name="From"/>. Carries the currency because it may be the first event of a system account.</summary>
public sealed record FundsCredited(string Reference, decimal Amount, string Currency, string From);

public sealed record AccountClosed(string AccountId);

// --- payment streams (key: payment:{orderId}) ---

public sealed record PaymentAuthorized(string OrderId, string AccountId, decimal Amount, string Currency);

public sealed record PaymentCaptured(string OrderId);

/// <summary>Also the tombstone of a void that found nothing to release.</summary>
public sealed record PaymentVoided(string OrderId);

/// <summary>Also the tombstone of a refund that found nothing captured.</summary>
public sealed record PaymentRefunded(string OrderId);

// --- transfer streams (key: transfer:{transferId}) ---

public sealed record TransferDebited(string TransferId, string From, decimal Amount, string Currency);

public sealed record TransferCredited(string TransferId, string To);

/// <summary>Also the tombstone of a refund that found nothing debited.</summary>
public sealed record TransferRefunded(string TransferId);
