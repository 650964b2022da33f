using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using Cart.Domain;
using Cart.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Cart.Apis;

public static class CartApi
{
    public static RouteGroupBuilder MapCartApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/carts").WithTags("Cart");

        api.MapGet("/{customerId}", GetCartAsync);
        api.MapPost("/{customerId}/items", AddItemAsync);
        api.MapPut("/{customerId}/items/{productId}", ChangeQuantityAsync);
        api.MapDelete("/{customerId}/items/{productId}", RemoveItemAsync);
        api.MapDelete("/{customerId}", DeleteCartAsync);
        api.MapPost("/{customerId}/checkout", CheckoutAsync)
            .WithSummary("Place the cart's lines as an order with orders (POST /orders) and answer with orders' status and body.");

        return api;
    }

    public static async Task<Results<Ok<CartResponse>, NotFound>> GetCartAsync(
        [RegularExpression(Ids.Pattern, ErrorMessage = "customerId " + Ids.Message)] string customerId,
        CartStore carts,
        CancellationToken ct) =>
        await carts.GetAsync(customerId, ct) is { } cart
            ? TypedResults.Ok(CartResponse.From(cart))
            : TypedResults.NotFound();

    public static async Task<Results<Ok<CartResponse>, NotFound, ValidationProblem, ProblemHttpResult>> AddItemAsync(
        [RegularExpression(Ids.Pattern, ErrorMessage = "customerId " + Ids.Message)] string customerId,
        AddItemRequest item,
        CartStore carts,
        CancellationToken ct) =>
        ToResult(await carts.UpdateAsync(customerId, cart => cart.Add(item.ToLine()), ct));

    public static async Task<Results<Ok<CartResponse>, NotFound, ValidationProblem, ProblemHttpResult>> ChangeQuantityAsync(
        [RegularExpression(Ids.Pattern, ErrorMessage = "customerId " + Ids.Message)] string customerId,
        [RegularExpression(Ids.Pattern, ErrorMessage = "productId " + Ids.Message)] string productId,
        ChangeQuantityRequest change,
        CartStore carts,
        CancellationToken ct) =>
        ToResult(await carts.UpdateAsync(customerId, cart => cart.ChangeQuantity(productId, change.Quantity), ct));

    public static async Task<Results<Ok<CartResponse>, NotFound, ValidationProblem, ProblemHttpResult>> RemoveItemAsync(
        [RegularExpression(Ids.Pattern, ErrorMessage = "customerId " + Ids.Message)] string customerId,
        [RegularExpression(Ids.Pattern, ErrorMessage = "productId " + Ids.Message)] string productId,
        CartStore carts,
        CancellationToken ct) =>
        ToResult(await carts.UpdateAsync(customerId, cart => cart.Remove(productId), ct));

    /// <summary>Idempotent: deleting a cart that is already gone (checked out, expired) succeeds too.</summary>
    public static async Task<NoContent> DeleteCartAsync(
        [RegularExpression(Ids.Pattern, ErrorMessage = "customerId " + Ids.Message)] string customerId,
        CartStore carts,
        CancellationToken ct)
    {
        await carts.DeleteAsync(customerId, ct);
        return TypedResults.NoContent();
    }

    /// <summary>
    /// Hands the cart to orders, which owns checkout: its answer (202 new order, 200 repeat, 400, 409, 422) goes back to
    /// the caller as it came, so the cart adds no second interpretation of it. The cart is left as it is; clearing it
    /// once the order is confirmed is for a later change (order.confirmed.v1).
    /// </summary>
    public static async Task<Results<ForwardedAnswer, NotFound, ProblemHttpResult>> CheckoutAsync(
        [RegularExpression(Ids.Pattern, ErrorMessage = "customerId " + Ids.Message)] string customerId,
        CheckoutRequest checkout,
        CartStore carts,
        OrdersClient orders,
        CancellationToken ct)
    {
        if (await carts.GetAsync(customerId, ct) is not { } document)
        {
            return TypedResults.NotFound();
        }

        if (document.Cart.Lines.Count == 0)
        {
            return TypedResults.Problem(
                title: "The cart is empty",
                detail: $"The cart of {customerId} holds no lines to order.",
                statusCode: StatusCodes.Status422UnprocessableEntity,
                extensions: new Dictionary<string, object?> { ["code"] = "empty-cart" });
        }

        return new ForwardedAnswer(await orders.PlaceOrderAsync(checkout.OrderId!, document.Cart, ct));
    }

    private static Results<Ok<CartResponse>, NotFound, ValidationProblem, ProblemHttpResult> ToResult(CartUpdate update) => update switch
    {
        CartUpdate.Saved saved => TypedResults.Ok(CartResponse.From(saved.Cart, saved.ExpiresAt)),
        CartUpdate.Rejected { Reason: CartChange.Refused refused } => ValidationProblems.Field(refused.Field, refused.Message),
        CartUpdate.Rejected { Reason: CartChange.NoSuchLine } => TypedResults.NotFound(),
        CartUpdate.Contended => TypedResults.Problem(
            title: "The cart is being changed concurrently",
            detail: "Other changes to this cart kept winning the race; nothing of this change was saved. Try again.",
            statusCode: StatusCodes.Status409Conflict),
        _ => throw new UnreachableException($"Unhandled cart update {update}."),
    };
}
