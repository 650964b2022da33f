using Inventory.Domain;

namespace Inventory.Tests.Domain;

public sealed class ReservationLinesTests
{
    [Fact]
    public void lines_come_out_in_ordinal_sku_order_whatever_order_they_came_in()
    {
        var lines = ReservationLines.Normalize([new("b-2", 1), new("B-1", 2), new("a-9", 3), new("A-10", 4)]);

        Assert.Equal(["A-10", "B-1", "a-9", "b-2"], lines.Select(l => l.Sku));
    }

    [Fact]
    public void two_orders_naming_the_same_skus_in_opposite_orders_lock_them_in_the_same_order()
    {
        var one = ReservationLines.Normalize([new("X-1", 1), new("Y-1", 1)]);
        var other = ReservationLines.Normalize([new("Y-1", 1), new("X-1", 1)]);

        Assert.Equal(one.Select(l => l.Sku), other.Select(l => l.Sku));
    }

    [Fact]
    public void the_same_sku_twice_is_one_line_for_the_sum()
    {
        var lines = ReservationLines.Normalize([new("A-1", 2), new("B-1", 1), new("A-1", 3)]);

        Assert.Equal([new ReservationLine("A-1", 5), new ReservationLine("B-1", 1)], lines);
    }

    [Fact]
    public void skus_differing_only_in_case_are_two_skus()
    {
        Assert.Equal(2, ReservationLines.Normalize([new("a-1", 1), new("A-1", 1)]).Count);
    }

    [Fact]
    public void a_line_that_skipped_validation_is_a_programming_error()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ReservationLines.Normalize([new("A-1", 0)]));
        Assert.Throws<ArgumentException>(() => ReservationLines.Normalize([new(" ", 1)]));
    }

    [Fact]
    public void the_most_any_valid_request_can_ask_for_fits_what_can_be_on_hand()
    {
        var lines = ReservationLines.Normalize(Enumerable.Repeat(new ReservationLine("A-1", Limits.MaxQuantity), Limits.MaxLines));

        Assert.Equal(Limits.MaxLines * Limits.MaxQuantity, Assert.Single(lines).Quantity);
        Assert.True(Limits.MaxLines * (long)Limits.MaxQuantity <= Limits.MaxOnHand);
    }
}
