using Dapr.Workflow;
using OrderWorkflow.Infrastructure;

namespace OrderWorkflow.Checkout.Activities;

public sealed record AuthorizePaymentInput(string OrderId, string AccountId, decimal Amount, string Currency);

/// <summary>Holds the amount on the customer's account; idempotent per order id.</summary>
public sealed class AuthorizePayment(ServiceInvoker services) : WorkflowActivity<AuthorizePaymentInput, StepResult>
{
    public override Task<StepResult> RunAsync(WorkflowActivityContext context, AuthorizePaymentInput input) =>
        services.SendAsync(Apps.Payments, HttpMethod.Post, PaymentPath(input.OrderId, "authorize"),
            new { accountId = input.AccountId, amount = input.Amount, currency = input.Currency }, CancellationToken.None);

    internal static string PaymentPath(string orderId, string action) => $"payments/{Uri.EscapeDataString(orderId)}/{action}";
}

/// <summary>Compensation of <see cref="AuthorizePayment"/>: releases the hold (a tombstone if there was none).</summary>
public sealed class VoidPayment(ServiceInvoker services) : WorkflowActivity<string, StepResult>
{
    public override Task<StepResult> RunAsync(WorkflowActivityContext context, string orderId) =>
        services.SendAsync(Apps.Payments, HttpMethod.Post, AuthorizePayment.PaymentPath(orderId, "void"), null, CancellationToken.None);
}

/// <summary>Moves the held amount to the merchant; idempotent per order id.</summary>
public sealed class CapturePayment(ServiceInvoker services) : WorkflowActivity<string, StepResult>
{
    public override Task<StepResult> RunAsync(WorkflowActivityContext context, string orderId) =>
        services.SendAsync(Apps.Payments, HttpMethod.Post, AuthorizePayment.PaymentPath(orderId, "capture"), null, CancellationToken.None);
}

/// <summary>Compensation of <see cref="CapturePayment"/>: moves a captured amount back (a no-op if nothing was captured).</summary>
public sealed class RefundPayment(ServiceInvoker services) : WorkflowActivity<string, StepResult>
{
    public override Task<StepResult> RunAsync(WorkflowActivityContext context, string orderId) =>
        services.SendAsync(Apps.Payments, HttpMethod.Post, AuthorizePayment.PaymentPath(orderId, "refund"), null, CancellationToken.None);
}
