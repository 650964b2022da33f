using SagaView = OrderWorkflow.Apis.WorkflowView<OrderWorkflow.Checkout.SagaProgress, OrderWorkflow.Checkout.OrderSagaResult>;
using Dapr.Workflow;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using OrderWorkflow.Checkout;
using OrderWorkflow.Extensions;

namespace OrderWorkflow.Apis;

public static class SagaApi
{
    public static RouteGroupBuilder MapSagaApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/sagas/orders").WithTags("Order saga");

        api.MapPost("/{orderId}", StartAsync)
            .ProducesValidationProblem()
            .WithName("StartOrderSaga")
            .WithSummary("Schedules the saga of an order, with the order id as the workflow instance id; a repeat starts nothing.");
        api.MapGet("/{orderId}", GetAsync)
            .WithName("GetOrderSaga")
            .WithSummary("The saga's runtime status, the step it is at, and how it ended.");
        api.MapPost("/{orderId}/approval", ApproveAsync)
            .WithName("ApproveOrderPayment")
            .WithSummary("Raises payment-approved for an order above the approval threshold.");

        return api;
    }

    public static async Task<Results<Accepted, Ok<SagaView>, ProblemHttpResult>> StartAsync(
        string orderId, OrderSagaInput input, DaprWorkflowClient workflows, IOptions<SagaOptions> options, CancellationToken ct)
    {
        if (input.OrderId != orderId)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The order id in the body differs from the one in the path",
                extensions: new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { ["OrderId"] = [$"must be {orderId}"] } });
        }

        return await workflows.ScheduleOnceAsync(OrderSaga.Name, orderId, new OrderSagaRun(input, options.Value.ToPolicy()), ct) is { } existing
            ? TypedResults.Ok(SagaView.From(orderId, existing))
            : TypedResults.Accepted($"/sagas/orders/{orderId}");
    }

    public static async Task<Results<Ok<SagaView>, NotFound>> GetAsync(string orderId, DaprWorkflowClient workflows, CancellationToken ct) =>
        await workflows.GetWorkflowStateAsync(orderId, getInputsAndOutputs: true, ct) is { Exists: true } state
            ? TypedResults.Ok(SagaView.From(orderId, state))
            : TypedResults.NotFound();

    public static async Task<Results<Accepted, NotFound>> ApproveAsync(string orderId, PaymentApproval approval, DaprWorkflowClient workflows, CancellationToken ct)
    {
        if (await workflows.GetWorkflowStateAsync(orderId, getInputsAndOutputs: false, ct) is not { Exists: true })
        {
            return TypedResults.NotFound();
        }

        await workflows.RaiseEventAsync(orderId, OrderSaga.PaymentApprovedEvent, approval, ct);
        return TypedResults.Accepted($"/sagas/orders/{orderId}");
    }
}
