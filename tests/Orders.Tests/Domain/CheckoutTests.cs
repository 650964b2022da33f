using Orders.Domain;
using Orders.Outbox;

namespace Orders.Tests.Domain;

public sealed class CheckoutTests
{
    private static readonly Guid Customer = Guid.Parse("0190a1b2-0000-7000-8000-000000000002");

    private static readonly OrderLine[] Lines =
    [
        new("book-1", "BK-1", "A book", 42.5m, "EUR", 2),
        new("pen-1", "PN-1", "A pen", 0.99m, "EUR", 3),
    ];

    [Fact]
    public void the_total_is_the_sum_of_unit_price_times_quantity_in_the_lines_currency() =>
        Assert.Equal(new Pricing.Priced(87.97m, "EUR"), Checkout.Price(Lines));

    [Fact]
    public void lines_in_two_currencies_cannot_be_priced_and_name_both() =>
        Assert.Equal(["EUR", "USD"],
            Assert.IsType<Pricing.MixedCurrencies>(Checkout.Price([.. Lines, new OrderLine("mug-1", "MG-1", "A mug", 5m, "USD", 1)])).Currencies);

    [Fact]
    public void the_saga_input_pays_from_the_customers_account_with_the_orders_total()
    {
        var order = Checkout.NewOrder("order-7", Customer, new CustomerCopy("Ann", "ann@example.org", 3), Lines, new Pricing.Priced(87.97m, "EUR"), DateTimeOffset.UnixEpoch);

        var input = Checkout.SagaInput(order);

        Assert.Equal(("order-7", Customer, Customer.ToString(), 87.97m, "EUR"), (input.OrderId, input.CustomerId, input.PaymentAccountId, input.Total, input.Currency));
        Assert.Equal([new OrderSagaLine("book-1", "BK-1", 2, 42.5m), new OrderSagaLine("pen-1", "PN-1", 3, 0.99m)], input.Lines);
    }

    [Fact]
    public void a_new_order_is_pending_with_one_history_entry()
    {
        var order = Checkout.NewOrder("order-7", Customer, new CustomerCopy("Ann", "ann@example.org", 3), Lines, new Pricing.Priced(87.97m, "EUR"), DateTimeOffset.UnixEpoch);

        Assert.Equal(OrderStatus.Pending, order.Status);
        Assert.Equal([new StatusChange(OrderStatus.Pending, null, DateTimeOffset.UnixEpoch)], order.History);
    }

    [Fact]
    public void the_same_lines_again_are_a_repeat_whatever_the_scale_of_the_prices()
    {
        var order = Checkout.NewOrder("order-7", Customer, new CustomerCopy("Ann", "ann@example.org", 3), Lines, new Pricing.Priced(87.97m, "EUR"), DateTimeOffset.UnixEpoch);

        Assert.True(Checkout.IsRepeatOf(order, Customer, [Lines[0] with { UnitPrice = 42.50m }, Lines[1]]));
        Assert.False(Checkout.IsRepeatOf(order, Customer, [Lines[0] with { Quantity = 3 }, Lines[1]]));
        Assert.False(Checkout.IsRepeatOf(order, Customer, [Lines[1], Lines[0]]));
        Assert.False(Checkout.IsRepeatOf(order, Guid.NewGuid(), Lines));
    }

    [Theory]
    [InlineData(1, 200)]
    [InlineData(2, 400)]
    [InlineData(3, 800)]
    [InlineData(6, 5000)]
    [InlineData(int.MaxValue, 5000)]
    public void retries_back_off_doubling_up_to_the_cap(int attempts, int expectedMs) =>
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), RetrySchedule.DelayAfter(attempts, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5)));
}
