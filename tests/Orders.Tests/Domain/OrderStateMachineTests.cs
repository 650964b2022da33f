using Orders.Domain;

namespace Orders.Tests.Domain;

public sealed class OrderStateMachineTests
{
    private static readonly DateTimeOffset Placed = new(2026, 1, 5, 10, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Later = Placed.AddMinutes(1);

    private static Order Pending() => Checkout.NewOrder(
        "order-1",
        Guid.Parse("0190a1b2-0000-7000-8000-000000000001"),
        new CustomerCopy("Ann", "ann@example.org", 1),
        [new OrderLine("book-1", "BK-1", "A book", 10.5m, "EUR", 2), new OrderLine("pen-1", "PN-1", "A pen", 1m, "EUR", 3)],
        new Pricing.Priced(24m, "EUR"),
        Placed);

    [Fact]
    public void confirming_a_pending_order_confirms_it_records_the_change_and_emits_order_confirmed()
    {
        var changed = Assert.IsType<Transition.Changed>(OrderStateMachine.Confirm(Pending(), Later));

        Assert.Equal(OrderStatus.Confirmed, changed.Order.Status);
        Assert.Equal(new StatusChange(OrderStatus.Confirmed, null, Later), changed.Recorded);
        Assert.Equal([OrderStatus.Pending, OrderStatus.Confirmed], changed.Order.History.Select(h => h.Status));
        var orderEvent = Assert.IsType<OrderEvent>(changed.Event);
        Assert.Equal("order.confirmed.v1", orderEvent.Type);
        var data = Assert.IsType<OrderConfirmedData>(orderEvent.Data);
        Assert.Equal(("order-1", 24m, "EUR", Later), (data.OrderId, data.Total, data.Currency, data.ConfirmedAt));
        Assert.Equal([new OrderConfirmedLine("book-1", "BK-1", 2), new OrderConfirmedLine("pen-1", "PN-1", 3)], data.Lines);
    }

    [Fact]
    public void confirming_a_confirmed_order_again_changes_nothing_and_emits_nothing()
    {
        var confirmed = ((Transition.Changed)OrderStateMachine.Confirm(Pending(), Later)).Order;

        var again = Assert.IsType<Transition.Unchanged>(OrderStateMachine.Confirm(confirmed, Later.AddMinutes(1)));

        Assert.Same(confirmed, again.Order);
    }

    [Fact]
    public void confirming_a_cancelled_order_is_refused_as_order_cancelled()
    {
        var cancelled = ((Transition.Changed)OrderStateMachine.Cancel(Pending(), "out of stock", Later)).Order;

        var refused = Assert.IsType<Transition.Refused>(OrderStateMachine.Confirm(cancelled, Later));

        Assert.Equal("order-cancelled", refused.Code);
    }

    [Fact]
    public void cancelling_a_pending_order_keeps_the_trimmed_reason_and_emits_order_cancelled()
    {
        var changed = Assert.IsType<Transition.Changed>(OrderStateMachine.Cancel(Pending(), "  payment declined ", Later));

        Assert.Equal(OrderStatus.Cancelled, changed.Order.Status);
        Assert.Equal("payment declined", changed.Order.CancellationReason);
        Assert.Equal(new StatusChange(OrderStatus.Cancelled, "payment declined", Later), changed.Recorded);
        var data = Assert.IsType<OrderCancelledData>(changed.Event!.Data);
        Assert.Equal(("order.cancelled.v1", "order-1", "payment declined", Later), (changed.Event.Type, data.OrderId, data.Reason, data.CancelledAt));
    }

    [Fact]
    public void cancelling_a_cancelled_order_again_keeps_the_first_reason()
    {
        var cancelled = ((Transition.Changed)OrderStateMachine.Cancel(Pending(), "first", Later)).Order;

        var again = Assert.IsType<Transition.Unchanged>(OrderStateMachine.Cancel(cancelled, "second", Later));

        Assert.Equal("first", again.Order.CancellationReason);
    }

    [Fact]
    public void cancelling_a_confirmed_order_is_refused_as_order_confirmed()
    {
        var confirmed = ((Transition.Changed)OrderStateMachine.Confirm(Pending(), Later)).Order;

        Assert.Equal("order-confirmed", Assert.IsType<Transition.Refused>(OrderStateMachine.Cancel(confirmed, "too late", Later)).Code);
    }

    [Fact]
    public void flagging_for_attention_keeps_the_status_writes_no_history_and_emits_nothing()
    {
        var confirmed = ((Transition.Changed)OrderStateMachine.Confirm(Pending(), Later)).Order;

        var changed = Assert.IsType<Transition.Changed>(OrderStateMachine.FlagForAttention(confirmed, "refund kept failing"));

        Assert.Equal((OrderStatus.Confirmed, true, "refund kept failing"), (changed.Order.Status, changed.Order.NeedsAttention, changed.Order.AttentionReason));
        Assert.Null(changed.Recorded);
        Assert.Null(changed.Event);
    }

    [Fact]
    public void the_same_attention_reason_again_is_a_repeat_and_a_new_one_replaces_it()
    {
        var flagged = ((Transition.Changed)OrderStateMachine.FlagForAttention(Pending(), "void kept failing")).Order;

        Assert.IsType<Transition.Unchanged>(OrderStateMachine.FlagForAttention(flagged, "void kept failing"));
        Assert.Equal("release kept failing",
            Assert.IsType<Transition.Changed>(OrderStateMachine.FlagForAttention(flagged, "release kept failing")).Order.AttentionReason);
    }
}
