using Microsoft.AspNetCore.Http.HttpResults;
using Payments.Domain;
using Payments.Infrastructure;

namespace Payments.Apis;

public static class PaymentsApi
{
    public static IEndpointRouteBuilder MapPaymentsApi(this IEndpointRouteBuilder app)
    {
        var accounts = app.MapGroup("/accounts").WithTags("Accounts");
        accounts.MapPost("/{accountId}/deposits", Deposit)
            .ProducesValidationProblem()
            .WithName("Deposit")
            .WithSummary("Deposit money; opens the account on its first deposit. Idempotent per depositId.");
        accounts.MapGet("/{accountId}", GetAccount).WithName("GetAccount").WithSummary("The account's balance, held and available amounts.");
        accounts.MapPost("/{accountId}/close", CloseAccount).WithName("CloseAccount").WithSummary("Close the account: it accepts no credit any more.");
        accounts.MapGet("/{accountId}/history", GetHistory).WithName("GetAccountHistory").WithSummary("The account stream's events, oldest first.");

        var payments = app.MapGroup("/payments").WithTags("Payments");
        payments.MapPost("/{orderId}/authorize", Authorize).ProducesValidationProblem().WithName("Authorize")
            .WithSummary("Hold the order's amount on the customer's account. Idempotent per order.");
        payments.MapPost("/{orderId}/capture", Capture).WithName("Capture").WithSummary("Move the held amount to the merchant account.");
        payments.MapPost("/{orderId}/void", Void).WithName("Void").WithSummary("Release the hold; a tombstone when nothing was authorized.");
        payments.MapPost("/{orderId}/refund", Refund).WithName("Refund").WithSummary("Move a captured amount back; a tombstone when nothing was captured.");
        payments.MapGet("/{orderId}", GetPayment).WithName("GetPayment");

        var transfers = app.MapGroup("/transfers").WithTags("Transfers");
        transfers.MapPost("/{transferId}/debit", Debit).ProducesValidationProblem().WithName("DebitTransfer")
            .WithSummary("Move the amount from 'from' to transfers-in-flight.");
        transfers.MapPost("/{transferId}/credit", Credit).ProducesValidationProblem().WithName("CreditTransfer")
            .WithSummary("Move the amount on from transfers-in-flight to 'to'.");
        transfers.MapPost("/{transferId}/refund", RefundTransfer).WithName("RefundTransfer")
            .WithSummary("Move the amount back to 'from'; a tombstone when nothing was debited.");
        transfers.MapGet("/{transferId}", GetTransfer).WithName("GetTransfer");

        app.MapGet("/ledger/total", GetTotal).WithTags("Ledger").WithName("GetLedgerTotal")
            .WithSummary("The sum of all balances per currency: changes only by deposits.");
        return app;
    }

    public static async Task<Results<Ok<AccountResponse>, ValidationProblem, ProblemHttpResult>> Deposit(
        string accountId, DepositRequest request, Ledger ledger, CancellationToken ct)
    {
        if (InvalidId(accountId, nameof(accountId)) is { } invalid)
        {
            return invalid;
        }

        var outcome = await ledger.DepositAsync(new Deposit(accountId, request.DepositId!, request.Amount!.Value, request.Currency!), ct);
        return outcome.Rejection is { } rejection ? Problem(rejection) : TypedResults.Ok(AccountResponse.From(outcome.Value!));
    }

    public static async Task<Results<Ok<AccountResponse>, NotFound, ValidationProblem>> GetAccount(string accountId, Ledger ledger, CancellationToken ct)
    {
        if (InvalidId(accountId, nameof(accountId)) is { } invalid)
        {
            return invalid;
        }

        return await ledger.GetAccountAsync(accountId, ct) is { } account ? TypedResults.Ok(AccountResponse.From(account)) : TypedResults.NotFound();
    }

    public static async Task<Results<Ok<AccountResponse>, NotFound, ValidationProblem, ProblemHttpResult>> CloseAccount(
        string accountId, Ledger ledger, CancellationToken ct)
    {
        if (InvalidId(accountId, nameof(accountId)) is { } invalid)
        {
            return invalid;
        }

        return await ledger.CloseAsync(accountId, ct) switch
        {
            { Rejection: { } rejection } => Problem(rejection),
            { Value: { } account } => TypedResults.Ok(AccountResponse.From(account)),
            _ => TypedResults.NotFound(),
        };
    }

    public static async Task<Results<Ok<HistoryEntry[]>, NotFound, ValidationProblem>> GetHistory(string accountId, Ledger ledger, CancellationToken ct)
    {
        if (InvalidId(accountId, nameof(accountId)) is { } invalid)
        {
            return invalid;
        }

        var events = await ledger.HistoryAsync(accountId, ct);
        return events.Count == 0
            ? TypedResults.NotFound()
            : TypedResults.Ok(events.Select(e => new HistoryEntry(e.Version, e.EventTypeName, e.Data, e.Timestamp)).ToArray());
    }

    public static async Task<Results<Ok<PaymentResponse>, ValidationProblem, ProblemHttpResult>> Authorize(
        string orderId, AuthorizeRequest request, Ledger ledger, CancellationToken ct)
    {
        if (InvalidId(orderId, nameof(orderId)) is { } invalid)
        {
            return invalid;
        }

        return ToResult(await ledger.AuthorizeAsync(new Domain.Authorize(orderId, request.AccountId!, request.Amount!.Value, request.Currency!), ct));
    }

    public static async Task<Results<Ok<PaymentResponse>, ValidationProblem, ProblemHttpResult>> Capture(string orderId, Ledger ledger, CancellationToken ct) =>
        InvalidId(orderId, nameof(orderId)) is { } invalid ? invalid : ToResult(await ledger.CaptureAsync(orderId, ct));

    public static async Task<Results<Ok<PaymentResponse>, ValidationProblem, ProblemHttpResult>> Void(string orderId, Ledger ledger, CancellationToken ct) =>
        InvalidId(orderId, nameof(orderId)) is { } invalid ? invalid : ToResult(await ledger.VoidAsync(orderId, ct));

    public static async Task<Results<Ok<PaymentResponse>, ValidationProblem, ProblemHttpResult>> Refund(string orderId, Ledger ledger, CancellationToken ct) =>
        InvalidId(orderId, nameof(orderId)) is { } invalid ? invalid : ToResult(await ledger.RefundAsync(orderId, ct));

    public static async Task<Results<Ok<PaymentResponse>, NotFound, ValidationProblem>> GetPayment(string orderId, Ledger ledger, CancellationToken ct)
    {
        if (InvalidId(orderId, nameof(orderId)) is { } invalid)
        {
            return invalid;
        }

        return await ledger.GetPaymentAsync(orderId, ct) is { } payment ? TypedResults.Ok(PaymentResponse.From(payment)) : TypedResults.NotFound();
    }

    public static async Task<Results<Ok<TransferResponse>, ValidationProblem, ProblemHttpResult>> Debit(
        string transferId, DebitRequest request, Ledger ledger, CancellationToken ct)
    {
        if (InvalidId(transferId, nameof(transferId)) is { } invalid)
        {
            return invalid;
        }

        return ToResult(await ledger.DebitAsync(new Domain.Debit(transferId, request.From!, request.Amount!.Value, request.Currency!), ct));
    }

    public static async Task<Results<Ok<TransferResponse>, ValidationProblem, ProblemHttpResult>> Credit(
        string transferId, CreditRequest request, Ledger ledger, CancellationToken ct) =>
        InvalidId(transferId, nameof(transferId)) is { } invalid ? invalid : ToResult(await ledger.CreditAsync(transferId, request.To!, ct));

    public static async Task<Results<Ok<TransferResponse>, ValidationProblem, ProblemHttpResult>> RefundTransfer(
        string transferId, Ledger ledger, CancellationToken ct) =>
        InvalidId(transferId, nameof(transferId)) is { } invalid ? invalid : ToResult(await ledger.RefundTransferAsync(transferId, ct));

    public static async Task<Results<Ok<TransferResponse>, NotFound, ValidationProblem>> GetTransfer(string transferId, Ledger ledger, CancellationToken ct)
    {
        if (InvalidId(transferId, nameof(transferId)) is { } invalid)
        {
            return invalid;
        }

        return await ledger.GetTransferAsync(transferId, ct) is { } transfer ? TypedResults.Ok(TransferResponse.Of(transfer)) : TypedResults.NotFound();
    }

    public static async Task<Ok<IReadOnlyDictionary<string, decimal>>> GetTotal(Ledger ledger, CancellationToken ct) =>
        TypedResults.Ok(await ledger.TotalsAsync(ct));

    /// <summary>Route values are not covered by the validation attributes; ids with ':' would reach other streams.</summary>
    private static ValidationProblem? InvalidId(string value, string name) =>
        Ids.IsValid(value) ? null : ValidationProblems.Field(name, $"The {name} must be {Ids.Description}.");

    private static Results<Ok<PaymentResponse>, ValidationProblem, ProblemHttpResult> ToResult(Outcome<Payment> outcome) =>
        outcome.Rejection is { } rejection ? Problem(rejection) : TypedResults.Ok(PaymentResponse.From(outcome.Value!));

    private static Results<Ok<TransferResponse>, ValidationProblem, ProblemHttpResult> ToResult(Outcome<Transfer> outcome) =>
        outcome.Rejection is { } rejection ? Problem(rejection) : TypedResults.Ok(TransferResponse.Of(outcome.Value!));

    private static ProblemHttpResult Problem(Rejection rejection) => TypedResults.Problem(
        statusCode: rejection.Kind == RejectionKind.Conflict ? StatusCodes.Status409Conflict : StatusCodes.Status422UnprocessableEntity,
        title: rejection.Code,
        detail: rejection.Detail,
        extensions: new Dictionary<string, object?> { ["code"] = rejection.Code });
}
