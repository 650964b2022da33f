using System.ComponentModel.DataAnnotations;
using OrderWorkflow.Checkout;

namespace OrderWorkflow.Extensions;

/// <summary>Configuration section <c>Saga</c>. Read when a workflow is scheduled and copied into its input.</summary>
public sealed class SagaOptions
{
    public const string Section = "Saga";

    /// <summary>Orders above this total wait for a <c>payment-approved</c> event.</summary>
    [Range(0d, double.MaxValue)]
    public decimal ApprovalThreshold { get; set; } = 1000m;

    public TimeSpan ApprovalTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>For faults only (5xx, timeouts, refused connections); business refusals are never retried.</summary>
    [Range(1, 100)]
    public int RetryMaxAttempts { get; set; } = 5;

    public TimeSpan RetryFirstInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    [Range(1d, 10d)]
    public double RetryBackoffCoefficient { get; set; } = 2;

    public TimeSpan RetryMaxInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a transfer's money stays in flight before the credit (a settlement delay).</summary>
    public TimeSpan TransferSettleAfter { get; set; } = TimeSpan.FromSeconds(2);

    public RetrySettings Retry => new(RetryMaxAttempts, RetryFirstInterval, RetryBackoffCoefficient, RetryMaxInterval);

    public SagaPolicy ToPolicy() => new(ApprovalThreshold, ApprovalTimeout, Retry);
}
