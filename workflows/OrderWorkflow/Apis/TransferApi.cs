using TransferView = OrderWorkflow.Apis.WorkflowView<OrderWorkflow.Transfers.TransferProgress, OrderWorkflow.Transfers.TransferResult>;
using Dapr.Workflow;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using OrderWorkflow.Extensions;
using OrderWorkflow.Transfers;

namespace OrderWorkflow.Apis;

public static class TransferApi
{
    public static RouteGroupBuilder MapTransferApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/transfers").WithTags("Transfers");

        api.MapPost("/", StartAsync)
            .ProducesValidationProblem()
            .WithName("StartTransfer")
            .WithSummary("Schedules a transfer, with the transfer id as the workflow instance id; a repeat starts nothing.");
        api.MapGet("/{transferId}", GetAsync)
            .WithName("GetTransfer")
            .WithSummary("The transfer's status: Pending while the money is between the accounts.");

        return api;
    }

    public static async Task<Results<Accepted, Ok<TransferView>, ProblemHttpResult>> StartAsync(
        TransferRequest request, DaprWorkflowClient workflows, IOptions<SagaOptions> options, CancellationToken ct)
    {
        if (request.From == request.To)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "A transfer needs two different accounts",
                extensions: new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { ["To"] = ["must differ from From"] } });
        }

        var run = new TransferRun(request, request.SettleAfter ?? options.Value.TransferSettleAfter, options.Value.Retry);
        return await workflows.ScheduleOnceAsync(TransferWorkflow.Name, request.TransferId, run, ct) is { } existing
            ? TypedResults.Ok(TransferView.From(request.TransferId, existing))
            : TypedResults.Accepted($"/transfers/{request.TransferId}");
    }

    public static async Task<Results<Ok<TransferView>, NotFound>> GetAsync(string transferId, DaprWorkflowClient workflows, CancellationToken ct) =>
        await workflows.GetWorkflowStateAsync(transferId, getInputsAndOutputs: true, ct) is { Exists: true } state
            ? TypedResults.Ok(TransferView.From(transferId, state))
            : TypedResults.NotFound();
}
