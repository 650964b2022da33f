using System.ComponentModel.DataAnnotations;
using Inventory.Domain;
using Inventory.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Inventory.Apis;

public static class StockApi
{
    public static RouteGroupBuilder MapStockApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/stock").WithTags("Stock");

        api.MapPut("/{sku}", SetStock)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithName("SetStock")
            .WithSummary("Set what is on hand of a SKU (restock or count); never below what is reserved.");
        api.MapGet("/{sku}", GetStock)
            .ProducesValidationProblem()
            .WithName("GetStock")
            .WithSummary("On hand, reserved and available of a SKU.");

        return api;
    }

    public static async Task<Results<Ok<StockLevel>, ProblemHttpResult>> SetStock(
        [RegularExpression(Identifiers.SkuPattern, ErrorMessage = "sku " + Identifiers.SkuMessage)] string sku,
        SetStockRequest request, InventoryStore store, CancellationToken ct)
    {
        switch (await store.SetOnHandAsync(sku, request.OnHand!.Value, ct))
        {
            case SetStockResult.Set(var stock):
                return TypedResults.Ok(stock);
            case SetStockResult.BelowReserved(var reserved):
                return TypedResults.Problem(
                    statusCode: StatusCodes.Status422UnprocessableEntity,
                    title: "On hand below reserved",
                    detail: $"{reserved} of {sku} are reserved; on hand cannot be set to {request.OnHand} until orders release them.",
                    extensions: new Dictionary<string, object?>
                    {
                        ["code"] = ProblemCodes.BelowReserved,
                        ["field"] = nameof(SetStockRequest.OnHand),
                        ["reserved"] = reserved,
                    });
            case var other:
                throw new InvalidOperationException($"unexpected result {other}");
        }
    }

    public static async Task<Results<Ok<StockLevel>, NotFound>> GetStock(
        [RegularExpression(Identifiers.SkuPattern, ErrorMessage = "sku " + Identifiers.SkuMessage)] string sku,
        InventoryStore store, CancellationToken ct) =>
        await store.GetStockAsync(sku, ct) is { } stock ? TypedResults.Ok(stock) : TypedResults.NotFound();
}
