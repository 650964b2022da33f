using Microsoft.AspNetCore.Http.HttpResults;
using Orders.Domain;
using Orders.Infrastructure;

namespace Orders.Apis;

public static class OrdersApi
{
    public static RouteGroupBuilder MapOrdersApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/orders").WithTags("Orders");

        api.MapPost("/", CheckoutAsync)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithName("Checkout")
            .WithSummary("Place an order (Pending) and have its saga started; a repeat with the same orderId answers 200 and starts nothing.");
        api.MapGet("/{orderId}", GetOrderAsync)
            .WithName("GetOrder")
            .WithSummary("An order with its lines, status history and copy of the customer.");
        api.MapPost("/{orderId}/confirm", ConfirmAsync)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .WithName("ConfirmOrder")
            .WithSummary("Pending → Confirmed, publishing order.confirmed.v1; idempotent; 409 order-cancelled.");
        api.MapPost("/{orderId}/cancel", CancelAsync)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .WithName("CancelOrder")
            .WithSummary("Pending → Cancelled with a reason, publishing order.cancelled.v1; idempotent; 409 order-confirmed.");
        api.MapPost("/{orderId}/attention", FlagForAttentionAsync)
            .ProducesValidationProblem()
            .WithName("FlagOrderForAttention")
            .WithSummary("Mark the order as needing a person's attention (a compensation kept failing), with the reason.");

        return api;
    }

    public static async Task<Results<Accepted<Order>, Ok<Order>, ValidationProblem, ProblemHttpResult>> CheckoutAsync(
        CheckoutRequest request, OrderStore orders, CustomerDirectory customers, TimeProvider time, CancellationToken ct)
    {
        // Shapes are checked by the validation filter before this runs; these are the rules across fields.
        var customerIdValid = Guid.TryParse(request.CustomerId, out var customerId);
        var noNullLine = request.Lines!.All(line => line is not null);
        if (ValidationProblems.Collect()
            .Require(customerIdValid, nameof(CheckoutRequest.CustomerId), "CustomerId must be the id of a customer (a UUID).")
            .Require(noNullLine, nameof(CheckoutRequest.Lines), "A line must not be null.")
            .Require(!noNullLine || request.Lines!.DistinctBy(line => line.ProductId, StringComparer.Ordinal).Count() == request.Lines!.Count,
                nameof(CheckoutRequest.Lines), "Each product may appear in one line only.")
            .ToProblem() is { } invalid)
        {
            return invalid;
        }

        var lines = request.Lines!.Select(line => line.ToLine()).ToList();
        var pricing = Checkout.Price(lines);
        if (pricing is Pricing.MixedCurrencies mixed)
        {
            return Problem(StatusCodes.Status422UnprocessableEntity, Checkout.MixedCurrenciesCode, "Lines in more than one currency",
                $"An order is paid in one currency; the lines are in {string.Join(", ", mixed.Currencies)}.");
        }

        var price = (Pricing.Priced)pricing;
        var orderId = request.OrderId!;

        // The insert below finds a repeat of this order id; a repeat must not fail because the customer is gone since.
        if (await customers.FindAsync(customerId, ct) is not { } customer)
        {
            return await orders.GetAsync(orderId, ct) is { } known
                ? Repeat(known, customerId, lines)
                : Problem(StatusCodes.Status422UnprocessableEntity, Checkout.UnknownCustomer, "Unknown customer", $"There is no customer {customerId}.");
        }

        var order = Checkout.NewOrder(orderId, customerId, customer, lines, price, Now(time));
        return await orders.CheckoutAsync(order, ct) switch
        {
            CheckoutResult.Created(var created) => TypedResults.Accepted($"/orders/{Uri.EscapeDataString(created.OrderId)}", created),
            // A repeat, or another checkout of this id that committed first.
            CheckoutResult.Existing(var existing) => Repeat(existing, customerId, lines),
            var other => throw new InvalidOperationException($"unexpected checkout result {other}"),
        };
    }

    public static async Task<Results<Ok<Order>, NotFound>> GetOrderAsync(string orderId, OrderStore orders, CancellationToken ct) =>
        await orders.GetAsync(orderId, ct) is { } order ? TypedResults.Ok(order) : TypedResults.NotFound();

    public static async Task<Results<Ok<Order>, NotFound, ProblemHttpResult>> ConfirmAsync(string orderId, OrderStore orders, TimeProvider time, CancellationToken ct) =>
        await orders.ApplyAsync(orderId, order => OrderStateMachine.Confirm(order, Now(time)), ct) switch
        {
            null => TypedResults.NotFound(),
            Transition.Changed changed => TypedResults.Ok(changed.Order),
            Transition.Unchanged unchanged => TypedResults.Ok(unchanged.Order),
            Transition.Refused refused => Refusal(refused),
            var other => throw new InvalidOperationException($"unexpected transition {other}"),
        };

    public static async Task<Results<Ok<Order>, NotFound, ValidationProblem, ProblemHttpResult>> CancelAsync(
        string orderId, ReasonRequest request, OrderStore orders, TimeProvider time, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.Reason))
        {
            return ValidationProblems.Field(nameof(ReasonRequest.Reason), "A reason for the cancellation is required.");
        }

        return await orders.ApplyAsync(orderId, order => OrderStateMachine.Cancel(order, request.Reason, Now(time)), ct) switch
        {
            null => TypedResults.NotFound(),
            Transition.Changed changed => TypedResults.Ok(changed.Order),
            Transition.Unchanged unchanged => TypedResults.Ok(unchanged.Order),
            Transition.Refused refused => Refusal(refused),
            var other => throw new InvalidOperationException($"unexpected transition {other}"),
        };
    }

    public static async Task<Results<Ok<Order>, NotFound, ValidationProblem>> FlagForAttentionAsync(
        string orderId, ReasonRequest request, OrderStore orders, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.Reason))
        {
            return ValidationProblems.Field(nameof(ReasonRequest.Reason), "A reason for the attention is required.");
        }

        return await orders.ApplyAsync(orderId, order => OrderStateMachine.FlagForAttention(order, request.Reason), ct) switch
        {
            null => TypedResults.NotFound(),
            Transition.Changed changed => TypedResults.Ok(changed.Order),
            Transition.Unchanged unchanged => TypedResults.Ok(unchanged.Order),
            var other => throw new InvalidOperationException($"attention does not refuse, yet answered {other}"),
        };
    }

    private static Results<Accepted<Order>, Ok<Order>, ValidationProblem, ProblemHttpResult> Repeat(Order existing, Guid customerId, IReadOnlyList<OrderLine> lines) =>
        Checkout.IsRepeatOf(existing, customerId, lines)
            ? TypedResults.Ok(existing)
            : Problem(StatusCodes.Status409Conflict, Checkout.OrderIdInUse, "Order id in use",
                $"Order {existing.OrderId} exists with a different customer or different lines; a new order needs a new id.");

    private static ProblemHttpResult Refusal(Transition.Refused refused) =>
        Problem(StatusCodes.Status409Conflict, refused.Code, "The order is closed", refused.Detail);

    private static ProblemHttpResult Problem(int status, string code, string title, string detail) => TypedResults.Problem(
        statusCode: status,
        title: title,
        detail: detail,
        extensions: new Dictionary<string, object?> { ["code"] = code });

    /// <summary>PostgreSQL keeps microseconds: the time an answer shows is then the time a later read shows.</summary>
    private static DateTimeOffset Now(TimeProvider time)
    {
        var now = time.GetUtcNow();
        return new DateTimeOffset(now.Ticks - now.Ticks % 10, TimeSpan.Zero);
    }
}
