namespace Orders.Domain;

/// <summary>What a command made of an order. The store writes only <see cref="Changed"/>.</summary>
public abstract record Transition
{
    private Transition()
    {
    }

    /// <param name="Recorded">The status history row to add, when the status moved.</param>
    /// <param name="Event">The event to put in the outbox in the same transaction, when there is one.</param>
    public sealed record Changed(Order Order, StatusChange? Recorded, OrderEvent? Event) : Transition;

    /// <summary>The order is already where the command would take it: a repeat, answered as the first call was.</summary>
    public sealed record Unchanged(Order Order) : Transition;

    /// <summary>A business rejection: a 409 problem with <see cref="Code"/> as its <c>code</c>.</summary>
    public sealed record Refused(string Code, string Detail) : Transition;
}

/// <summary>
/// Pending → Confirmed | Cancelled, as pure functions of the order as read under its row lock. Every command is
/// idempotent: the saga's activities are at-least-once, so the second confirm (or cancel) must change nothing and
/// answer as the first did. The other terminal state refuses, so a late step cannot undo the saga's outcome.
/// </summary>
public static class OrderStateMachine
{
    public const string OrderCancelled = "order-cancelled";
    public const string OrderConfirmed = "order-confirmed";

    public static Transition Confirm(Order order, DateTimeOffset now) => order.Status switch
    {
        OrderStatus.Confirmed => new Transition.Unchanged(order),
        OrderStatus.Cancelled => new Transition.Refused(OrderCancelled,
            $"Order {order.OrderId} was cancelled ({order.CancellationReason}); it cannot be confirmed."),
        _ => Move(order, OrderStatus.Confirmed, reason: null, now) with
        {
            Event = OrderEvents.Confirmed(order, now),
        },
    };

    public static Transition Cancel(Order order, string reason, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        return order.Status switch
        {
            // The first reason stays: it is the one the saga acted on.
            OrderStatus.Cancelled => new Transition.Unchanged(order),
            OrderStatus.Confirmed => new Transition.Refused(OrderConfirmed,
                $"Order {order.OrderId} was confirmed; it cannot be cancelled."),
            _ => Move(order with { CancellationReason = reason.Trim() }, OrderStatus.Cancelled, reason.Trim(), now) with
            {
                Event = OrderEvents.Cancelled(order, reason.Trim(), now),
            },
        };
    }

    /// <summary>
    /// Flags the order for a person to look at (a compensation kept failing), in any status: the flag is about the
    /// saga's side effects elsewhere, not the order's own state. The latest reason wins; the same one again is a repeat.
    /// </summary>
    public static Transition FlagForAttention(Order order, string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        var trimmed = reason.Trim();
        return order.NeedsAttention && order.AttentionReason == trimmed
            ? new Transition.Unchanged(order)
            : new Transition.Changed(order with { NeedsAttention = true, AttentionReason = trimmed }, Recorded: null, Event: null);
    }

    private static Transition.Changed Move(Order order, OrderStatus status, string? reason, DateTimeOffset now)
    {
        var change = new StatusChange(status, reason, now);
        return new Transition.Changed(order with { Status = status, History = [.. order.History, change] }, change, Event: null);
    }
}
