using System.ComponentModel.DataAnnotations;
using Inventory.Domain;
using Inventory.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Inventory.Apis;

public static class ReservationsApi
{
    public static RouteGroupBuilder MapReservationsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/reservations").WithTags("Reservations");

        api.MapPost("/{orderId}", Reserve)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithName("Reserve")
            .WithSummary("Reserve every line for the order, or nothing. A repeat answers with the first reservation.");
        api.MapDelete("/{orderId}", Release)
            .ProducesValidationProblem()
            .WithName("Release")
            .WithSummary("Give the order's reserved stock back; when nothing was reserved, leave a tombstone that refuses a later reserve.");
        api.MapGet("/{orderId}", GetReservation)
            .ProducesValidationProblem()
            .WithName("GetReservation")
            .WithSummary("The order's reservation, reserved or released.");

        return api;
    }

    public static async Task<Results<Ok<Reservation>, ValidationProblem, ProblemHttpResult>> Reserve(
        [RegularExpression(Identifiers.OrderIdPattern, ErrorMessage = "orderId " + Identifiers.OrderIdMessage)] string orderId,
        ReserveRequest request, InventoryStore store, InventoryMetrics metrics, CancellationToken ct)
    {
        // The validation filter checks the lines it is given but skips a null one; it would be a NullReference below.
        if (request.Lines!.Any(line => line is null))
        {
            return ValidationProblems.Field(nameof(ReserveRequest.Lines), "A line must not be null.");
        }

        var lines = ReservationLines.Normalize(request.Lines!.Select(line => new ReservationLine(line.Sku!, line.Quantity)));
        switch (await store.ReserveAsync(orderId, lines, ct))
        {
            case ReserveResult.Reserved(var reservation, var repeated):
                if (!repeated)
                {
                    metrics.Made();
                }

                return TypedResults.Ok(reservation);
            case ReserveResult.OutOfStock(var skus):
                metrics.Refused(ProblemCodes.OutOfStock);
                return TypedResults.Problem(
                    statusCode: StatusCodes.Status422UnprocessableEntity,
                    title: "Out of stock",
                    detail: $"Not enough available of {string.Join(", ", skus)}; nothing was reserved for order {orderId}.",
                    extensions: new Dictionary<string, object?> { ["code"] = ProblemCodes.OutOfStock, ["skus"] = skus });
            case ReserveResult.AlreadyReleased:
                metrics.Refused(ProblemCodes.ReservationReleased);
                return TypedResults.Problem(
                    statusCode: StatusCodes.Status409Conflict,
                    title: "Reservation released",
                    detail: $"The reservation of order {orderId} was released already; a released order reserves nothing.",
                    extensions: new Dictionary<string, object?> { ["code"] = ProblemCodes.ReservationReleased });
            case var other:
                throw new InvalidOperationException($"unexpected result {other}");
        }
    }

    public static async Task<Ok<Reservation>> Release(
        [RegularExpression(Identifiers.OrderIdPattern, ErrorMessage = "orderId " + Identifiers.OrderIdMessage)] string orderId,
        InventoryStore store, InventoryMetrics metrics, CancellationToken ct)
    {
        var result = await store.ReleaseAsync(orderId, ct);
        metrics.Released(result.Outcome);
        return TypedResults.Ok(result.Reservation);
    }

    public static async Task<Results<Ok<Reservation>, NotFound>> GetReservation(
        [RegularExpression(Identifiers.OrderIdPattern, ErrorMessage = "orderId " + Identifiers.OrderIdMessage)] string orderId,
        InventoryStore store, CancellationToken ct) =>
        await store.GetReservationAsync(orderId, ct) is { } reservation ? TypedResults.Ok(reservation) : TypedResults.NotFound();
}
