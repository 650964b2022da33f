namespace Payments.Domain;

/// <summary>
/// An account as its stream's events make it. Marten keeps it as the stream's inline snapshot (a single-stream
/// projection updated in the same transaction as the events), which is also the balance read model.
/// Create/Apply are Marten's aggregation conventions; <see cref="Fold"/> runs the same methods without Marten.
/// </summary>
public sealed record Account
{
    public string Id { get; init; } = "";

    public string Currency { get; init; } = "";

    /// <summary>Everything on the account, held or not.</summary>
    public decimal Balance { get; init; }

    /// <summary>Reserved by authorizations that are neither captured nor voided yet.</summary>
    public decimal Held { get; init; }

    public decimal Available => Balance - Held;

    public bool Closed { get; init; }

    /// <summary>The stream's version this state is at; Marten sets it.</summary>
    public long Version { get; init; }

    public static Account Create(FundsDeposited e) => new() { Currency = e.Currency, Balance = e.Amount };

    public static Account Create(FundsCredited e) => new() { Currency = e.Currency, Balance = e.Amount };

    public Account Apply(FundsDeposited e) => this with { Balance = Balance + e.Amount };

    public Account Apply(FundsCredited e) => this with { Balance = Balance + e.Amount };

    public Account Apply(FundsHeld e) => this with { Held = Held + e.Amount };

    public Account Apply(HoldReleased e) => this with { Held = Held - e.Amount };

    public Account Apply(HeldFundsDebited e) => this with { Balance = Balance - e.Amount, Held = Held - e.Amount };

    public Account Apply(FundsDebited e) => this with { Balance = Balance - e.Amount };

    public Account Apply(AccountClosed e) => this with { Closed = true };

    /// <summary>The state after <paramref name="events"/>, each counting one version, as Marten would project it.</summary>
    public static Account? Fold(Account? state, string id, IEnumerable<object> events)
    {
        foreach (var e in events)
        {
            state = (state, e) switch
            {
                (null, FundsDeposited d) => Create(d),
                (null, FundsCredited c) => Create(c),
                (null, _) => throw new InvalidOperationException($"an account stream cannot start with {e.GetType().Name}"),
                (_, FundsDeposited d) => state.Apply(d),
                (_, FundsCredited c) => state.Apply(c),
                (_, FundsHeld h) => state.Apply(h),
                (_, HoldReleased r) => state.Apply(r),
                (_, HeldFundsDebited d) => state.Apply(d),
                (_, FundsDebited d) => state.Apply(d),
                (_, AccountClosed c) => state.Apply(c),
                _ => throw new InvalidOperationException($"{e.GetType().Name} does not belong on an account stream"),
            };
            state = state with { Id = id, Version = state.Version + 1 };
        }

        return state;
    }
}

/// <summary>Remembers a deposit id, written in the same transaction as its <see cref="FundsDeposited"/>.</summary>
public sealed record DepositReceipt(string Id, string AccountId, decimal Amount, string Currency);

public sealed record Deposit(string AccountId, string DepositId, decimal Amount, string Currency);

public static class AccountDecisions
{
    public static Decision Deposit(Account? account, DepositReceipt? receipt, Deposit command)
    {
        if (receipt is not null)
        {
            return receipt.AccountId == command.AccountId && receipt.Amount == command.Amount && receipt.Currency == command.Currency
                ? Decision.Nothing
                : Decision.Conflict(Codes.DepositMismatch,
                    $"Deposit {command.DepositId} was {receipt.Amount} {receipt.Currency} to {receipt.AccountId}; a deposit id cannot be reused.");
        }

        if (account is { Closed: true })
        {
            return Decision.Unprocessable(Codes.AccountClosed, $"Account {command.AccountId} is closed and accepts no deposits.");
        }

        if (account is not null && account.Currency != command.Currency)
        {
            return CurrencyMismatch(command.AccountId, account.Currency, command.Currency);
        }

        return Decision.Accept(new Append(command.AccountId, new FundsDeposited(command.DepositId, command.Amount, command.Currency)));
    }

    /// <remarks>Null for an unknown account: there is nothing to close.</remarks>
    public static Decision Close(Account account)
    {
        if (SystemAccounts.Contains(account.Id))
        {
            return Decision.Unprocessable(Codes.SystemAccount, $"{account.Id} is the ledger's own account and cannot be closed.");
        }

        return account.Closed ? Decision.Nothing : Decision.Accept(new Append(account.Id, new AccountClosed(account.Id)));
    }

    internal static Decision CurrencyMismatch(string accountId, string accountCurrency, string currency) =>
        Decision.Unprocessable(Codes.CurrencyMismatch, $"Account {accountId} is in {accountCurrency}, not {currency}.");

    internal static Decision InsufficientFunds(Account account, decimal amount) =>
        Decision.Unprocessable(Codes.InsufficientFunds, $"Account {account.Id} has {account.Available} {account.Currency} available, less than {amount}.");

    internal static Decision UnknownAccount(string accountId) =>
        Decision.Unprocessable(Codes.UnknownAccount, $"There is no account {accountId}.");

    internal static Decision SystemAccount(string accountId) =>
        Decision.Unprocessable(Codes.SystemAccount, $"{accountId} is the ledger's own account; it takes part in no payment or transfer of its own.");
}
