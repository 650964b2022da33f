using Payments.Domain;

namespace Payments.Tests.Domain;

/// <summary>The rules as pure functions of state and command: no store, no network.</summary>
public sealed class LedgerDecisionsTests
{
    private static Account AccountWith(string id, decimal balance, decimal held = 0m, bool closed = false, string currency = "EUR") =>
        new() { Id = id, Currency = currency, Balance = balance, Held = held, Closed = closed, Version = 1 };

    /// <summary>How the decision changes the sum of all balances: 0 for every movement, the amount for a deposit.</summary>
    private static decimal NetChange(Decision decision) => decision.Appends.Sum(a => a.Event switch
    {
        FundsDeposited d => d.Amount,
        FundsCredited c => c.Amount,
        FundsDebited d => -d.Amount,
        HeldFundsDebited d => -d.Amount,
        _ => 0m,
    });

    [Fact]
    public void when_the_account_has_insufficient_funds_an_authorization_is_refused_and_decides_no_event()
    {
        var decision = PaymentDecisions.Authorize(null, AccountWith("ann", 100m, held: 95m), new Authorize("o1", "ann", 10m, "EUR"));

        Assert.Equal(Codes.InsufficientFunds, decision.Rejection?.Code);
        Assert.Equal(RejectionKind.Unprocessable, decision.Rejection?.Kind);
        Assert.Empty(decision.Appends);
    }

    [Fact]
    public void an_authorization_holds_the_amount_on_the_account_and_opens_the_payment()
    {
        var decision = PaymentDecisions.Authorize(null, AccountWith("ann", 100m), new Authorize("o1", "ann", 30m, "EUR"));

        Assert.Equal(
            [new Append("payment:o1", new PaymentAuthorized("o1", "ann", 30m, "EUR")), new Append("ann", new FundsHeld("o1", 30m))],
            decision.Appends);
        var account = Account.Fold(AccountWith("ann", 100m), "ann", decision.EventsFor("ann"))!;
        Assert.Equal((100m, 30m, 70m, 2L), (account.Balance, account.Held, account.Available, account.Version));
    }

    [Fact]
    public void a_repeated_authorization_decides_nothing_and_one_for_another_amount_is_a_conflict()
    {
        var payment = Payment.Fold(null, "payment:o1", [new PaymentAuthorized("o1", "ann", 30m, "EUR")]);

        Assert.Same(Decision.Nothing, PaymentDecisions.Authorize(payment, AccountWith("ann", 0m), new Authorize("o1", "ann", 30m, "EUR")));
        Assert.Equal(Codes.PaymentMismatch, PaymentDecisions.Authorize(payment, AccountWith("ann", 100m), new Authorize("o1", "ann", 31m, "EUR")).Rejection?.Code);
    }

    [Theory]
    [InlineData(null, Codes.UnknownAccount)]
    [InlineData("USD", Codes.CurrencyMismatch)]
    public void an_authorization_on_an_unknown_account_or_in_another_currency_is_refused(string? accountCurrency, string code)
    {
        var account = accountCurrency is null ? null : AccountWith("ann", 100m, currency: accountCurrency);

        Assert.Equal(code, PaymentDecisions.Authorize(null, account, new Authorize("o1", "ann", 1m, "EUR")).Rejection?.Code);
    }

    [Fact]
    public void a_void_before_any_authorization_is_a_tombstone_that_refuses_the_late_authorization()
    {
        var tombstone = PaymentDecisions.Void("o1", null);
        var payment = Payment.Fold(null, "payment:o1", tombstone.EventsFor("payment:o1"));

        Assert.Equal([new Append("payment:o1", new PaymentVoided("o1"))], tombstone.Appends);
        Assert.Equal(Codes.PaymentVoided, PaymentDecisions.Authorize(payment, AccountWith("ann", 100m), new Authorize("o1", "ann", 1m, "EUR")).Rejection?.Code);
        Assert.Same(Decision.Nothing, PaymentDecisions.Void("o1", payment));
    }

    [Fact]
    public void a_refund_of_nothing_is_a_tombstone_that_refuses_the_late_authorization()
    {
        var payment = Payment.Fold(null, "payment:o1", PaymentDecisions.Refund("o1", null, null).EventsFor("payment:o1"));

        Assert.Equal(PaymentStatus.Refunded, payment!.Status);
        Assert.Equal(Codes.PaymentVoided, PaymentDecisions.Authorize(payment, AccountWith("ann", 100m), new Authorize("o1", "ann", 1m, "EUR")).Rejection?.Code);
    }

    [Fact]
    public void a_capture_moves_the_held_amount_to_the_merchant_and_conserves_money()
    {
        var payment = Payment.Fold(null, "payment:o1", [new PaymentAuthorized("o1", "ann", 30m, "EUR")]);

        var decision = PaymentDecisions.Capture("o1", payment, AccountWith("ann", 100m, held: 30m), merchant: null);

        Assert.Equal(0m, NetChange(decision));
        var ann = Account.Fold(AccountWith("ann", 100m, held: 30m), "ann", decision.EventsFor("ann"))!;
        var merchant = Account.Fold(null, SystemAccounts.Merchant, decision.EventsFor(SystemAccounts.Merchant))!;
        Assert.Equal((70m, 0m), (ann.Balance, ann.Held));
        Assert.Equal((30m, "EUR", 1L), (merchant.Balance, merchant.Currency, merchant.Version));
        Assert.Equal(PaymentStatus.Captured, Payment.Fold(payment, "payment:o1", decision.EventsFor("payment:o1"))!.Status);
    }

    [Fact]
    public void a_void_after_capture_and_a_capture_after_void_change_nothing()
    {
        var captured = Payment.Fold(null, "payment:o1", [new PaymentAuthorized("o1", "ann", 30m, "EUR"), new PaymentCaptured("o1")]);
        var voided = Payment.Fold(null, "payment:o1", [new PaymentAuthorized("o1", "ann", 30m, "EUR"), new PaymentVoided("o1")]);

        Assert.Same(Decision.Nothing, PaymentDecisions.Void("o1", captured));
        Assert.Equal(Codes.NotAuthorized, PaymentDecisions.Capture("o1", voided, AccountWith("ann", 100m), null).Rejection?.Code);
        Assert.Equal(Codes.NotAuthorized, PaymentDecisions.Capture("o1", null, null, null).Rejection?.Code);
    }

    [Fact]
    public void a_refund_moves_the_captured_amount_back_once()
    {
        var captured = Payment.Fold(null, "payment:o1", [new PaymentAuthorized("o1", "ann", 30m, "EUR"), new PaymentCaptured("o1")]);

        var decision = PaymentDecisions.Refund("o1", captured, AccountWith(SystemAccounts.Merchant, 30m));
        var refunded = Payment.Fold(captured, "payment:o1", decision.EventsFor("payment:o1"));

        Assert.Equal(0m, NetChange(decision));
        Assert.Equal(new FundsCredited("payment:o1", 30m, "EUR", SystemAccounts.Merchant), Assert.Single(decision.EventsFor("ann")));
        Assert.Same(Decision.Nothing, PaymentDecisions.Refund("o1", refunded, AccountWith(SystemAccounts.Merchant, 30m)));
    }

    [Fact]
    public void a_deposit_is_applied_once_per_deposit_id_and_a_closed_account_takes_none()
    {
        var receipt = new DepositReceipt("d1", "ann", 10m, "EUR");

        Assert.Same(Decision.Nothing, AccountDecisions.Deposit(AccountWith("ann", 10m), receipt, new Deposit("ann", "d1", 10m, "EUR")));
        Assert.Equal(Codes.DepositMismatch, AccountDecisions.Deposit(AccountWith("bob", 10m), receipt, new Deposit("bob", "d1", 10m, "EUR")).Rejection?.Code);
        Assert.Equal(Codes.AccountClosed, AccountDecisions.Deposit(AccountWith("ann", 10m, closed: true), null, new Deposit("ann", "d2", 1m, "EUR")).Rejection?.Code);
        Assert.Equal(5m, NetChange(AccountDecisions.Deposit(null, null, new Deposit("new", "d3", 5m, "EUR"))));
    }

    [Fact]
    public void a_transfer_credit_to_a_closed_account_is_refused_and_the_refund_returns_the_money()
    {
        var debit = TransferDecisions.Debit(null, AccountWith("ann", 50m), null, new Debit("t1", "ann", 20m, "EUR"));
        var transfer = Transfer.Fold(null, "transfer:t1", debit.EventsFor("transfer:t1"));

        var credit = TransferDecisions.Credit("t1", transfer, "bob", AccountWith("bob", 0m, closed: true));
        var refund = TransferDecisions.Refund("t1", transfer);

        Assert.Equal(0m, NetChange(debit));
        Assert.Equal(Codes.AccountClosed, credit.Rejection?.Code);
        Assert.Empty(credit.Appends);
        Assert.Equal(0m, NetChange(refund));
        Assert.Equal(new FundsCredited("transfer:t1", 20m, "EUR", SystemAccounts.TransfersInFlight), Assert.Single(refund.EventsFor("ann")));
        Assert.Equal(TransferStatus.Refunded, Transfer.Fold(transfer, "transfer:t1", refund.EventsFor("transfer:t1"))!.Status);
    }

    [Fact]
    public void a_transfer_refund_before_the_debit_is_a_tombstone_that_refuses_the_late_debit()
    {
        var tombstone = Transfer.Fold(null, "transfer:t1", TransferDecisions.Refund("t1", null).EventsFor("transfer:t1"));

        Assert.Equal(Codes.TransferRefunded, TransferDecisions.Debit(tombstone, AccountWith("ann", 50m), null, new Debit("t1", "ann", 1m, "EUR")).Rejection?.Code);
        Assert.Equal(Codes.NotDebited, TransferDecisions.Credit("t2", null, "bob", AccountWith("bob", 0m)).Rejection?.Code);
    }

    [Fact]
    public void a_credited_transfer_is_not_refunded_and_a_credit_elsewhere_is_a_conflict()
    {
        var credited = Transfer.Fold(null, "transfer:t1", [new TransferDebited("t1", "ann", 5m, "EUR"), new TransferCredited("t1", "bob")]);

        Assert.Same(Decision.Nothing, TransferDecisions.Refund("t1", credited));
        Assert.Same(Decision.Nothing, TransferDecisions.Credit("t1", credited, "bob", AccountWith("bob", 5m)));
        Assert.Equal(Codes.TransferMismatch, TransferDecisions.Credit("t1", credited, "cy", AccountWith("cy", 0m)).Rejection?.Code);
    }

    [Fact]
    public void the_ledgers_own_accounts_cannot_be_closed_or_pay()
    {
        Assert.Equal(Codes.SystemAccount, AccountDecisions.Close(AccountWith(SystemAccounts.Merchant, 1m)).Rejection?.Code);
        Assert.Equal(Codes.SystemAccount, PaymentDecisions.Authorize(null, AccountWith(SystemAccounts.Merchant, 100m),
            new Authorize("o1", SystemAccounts.Merchant, 1m, "EUR")).Rejection?.Code);
    }
}
