using System.ComponentModel.DataAnnotations;

namespace OrderWorkflow.Checkout;

/// <summary>What orders sends to start the saga of one order (docs/checkout-saga.md).</summary>
public sealed record OrderSagaInput(
    [Required, StringLength(64)] string OrderId,
    [Required, StringLength(64)] string CustomerId,
    [Required, StringLength(64)] string PaymentAccountId,
    [Required, MinLength(1), MaxLength(100)] IReadOnlyList<OrderSagaLine> Lines,
    [Range(0.01d, 1_000_000_000d)] decimal Total,
    [Required, RegularExpression("^[A-Z]{3}$", ErrorMessage = "Currency must be an ISO 4217 code such as EUR.")] string Currency);

public sealed record OrderSagaLine(
    [Required, StringLength(64)] string ProductId,
    [Required, StringLength(64)] string Sku,
    [Range(1, 999)] int Quantity,
    [Range(0d, 1_000_000_000d)] decimal UnitPrice);

/// <summary>
/// The saga's whole input: the order and the policy in force when it was scheduled. The policy travels in the input,
/// not in configuration read by the workflow, so that a replay takes the same decisions even after the configuration
/// changed: the workflow reads nothing but its input and its history.
/// </summary>
public sealed record OrderSagaRun(OrderSagaInput Order, SagaPolicy Policy);

/// <param name="ApprovalThreshold">Orders whose total is above this wait for a <c>payment-approved</c> event.</param>
/// <param name="ApprovalTimeout">How long they wait before the saga cancels them.</param>
public sealed record SagaPolicy(decimal ApprovalThreshold, TimeSpan ApprovalTimeout, RetrySettings Retry);

/// <summary>A plain copy of a <see cref="Dapr.Workflow.WorkflowRetryPolicy"/>, which does not serialize.</summary>
public sealed record RetrySettings(int MaxAttempts, TimeSpan FirstInterval, double BackoffCoefficient, TimeSpan MaxInterval)
{
    public Dapr.Workflow.WorkflowRetryPolicy ToPolicy() => new(MaxAttempts, FirstInterval, BackoffCoefficient, MaxInterval);
}

/// <summary>How the saga ended when it ended cleanly; a compensation that kept failing ends it Failed instead.</summary>
public sealed record OrderSagaResult(string OrderId, string Outcome, string? Reason)
{
    public const string Confirmed = nameof(Confirmed);
    public const string Cancelled = nameof(Cancelled);
}

/// <summary>The custom status: where the saga is, visible through <c>GET /sagas/orders/{id}</c> while it runs.</summary>
public sealed record SagaProgress(string Step, string? Reason = null);

/// <summary>The data of the <c>payment-approved</c> external event.</summary>
public sealed record PaymentApproval(bool Approved, string? By = null, string? Comment = null);
