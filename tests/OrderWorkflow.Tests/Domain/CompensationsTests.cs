using OrderWorkflow.Checkout;
using OrderWorkflow.Extensions;

namespace OrderWorkflow.Tests.Domain;

public sealed class CompensationsTests
{
    [Fact]
    public void compensations_run_latest_first()
    {
        var compensations = new Compensations();
        compensations.Register("ReleaseStock", "o-1");
        compensations.Register("VoidPayment", "o-1");
        compensations.Register("RefundPayment", "o-1");

        Assert.Equal(["RefundPayment", "VoidPayment", "ReleaseStock"], compensations.InReverseOrder().Select(c => c.Activity));
    }

    [Fact]
    public void nothing_registered_means_nothing_to_undo() => Assert.Empty(new Compensations().InReverseOrder());

    [Fact]
    public void the_configured_policy_is_what_the_saga_receives()
    {
        var options = new SagaOptions
        {
            ApprovalThreshold = 250m,
            ApprovalTimeout = TimeSpan.FromSeconds(30),
            RetryMaxAttempts = 4,
            RetryFirstInterval = TimeSpan.FromMilliseconds(100),
            RetryBackoffCoefficient = 3,
            RetryMaxInterval = TimeSpan.FromSeconds(2),
        };

        var policy = options.ToPolicy();
        var retry = policy.Retry.ToPolicy();

        Assert.Equal((250m, TimeSpan.FromSeconds(30)), (policy.ApprovalThreshold, policy.ApprovalTimeout));
        Assert.Equal((4, TimeSpan.FromMilliseconds(100), 3d, TimeSpan.FromSeconds(2)),
            (retry.MaxNumberOfAttempts, retry.FirstRetryInterval, retry.BackoffCoefficient, retry.MaxRetryInterval));
    }
}
