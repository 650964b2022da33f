using System.ComponentModel.DataAnnotations;
using OrderWorkflow.Checkout;

namespace OrderWorkflow.Transfers;

/// <summary>A request to move money from one account to another.</summary>
/// <param name="SettleAfter">How long the money stays in flight before the credit, as a bank's settlement delay;
/// defaults to the app's configuration. The transfer is visible as pending for at least that long.</param>
public sealed record TransferRequest(
    [Required, StringLength(64)] string TransferId,
    [Required, StringLength(64)] string From,
    [Required, StringLength(64)] string To,
    [Range(0.01d, 1_000_000_000d)] decimal Amount,
    [Required, RegularExpression("^[A-Z]{3}$", ErrorMessage = "Currency must be an ISO 4217 code such as EUR.")] string Currency,
    TimeSpan? SettleAfter = null);

/// <summary>The workflow's input: the request and the policy in force when it was scheduled (see <see cref="OrderSagaRun"/>).</summary>
public sealed record TransferRun(TransferRequest Transfer, TimeSpan SettleAfter, RetrySettings Retry);

public sealed record TransferResult(string TransferId, string Outcome, string? Reason)
{
    public const string Completed = nameof(Completed);
    public const string Rejected = nameof(Rejected);
    public const string Refunded = nameof(Refunded);
}

/// <summary>The custom status while the transfer runs: <c>Pending</c> while the money is between the two accounts.</summary>
public sealed record TransferProgress(string Step, string? Reason = null)
{
    public const string Pending = nameof(Pending);
}
