namespace Inventory.Domain;

public static class ReservationLines
{
    /// <summary>
    /// One line per SKU, in ordinal SKU order. A client may name a SKU twice (two cart lines of one product variant);
    /// that is one demand for the sum, so duplicates are merged rather than refused. The order is the lock order: every
    /// transaction takes its row locks in the same sequence, so two orders sharing SKUs queue instead of deadlocking.
    /// </summary>
    /// <remarks>Expects validated lines (a SKU each, quantities of at least 1); anything else is a programming error.</remarks>
    public static IReadOnlyList<ReservationLine> Normalize(IEnumerable<ReservationLine> lines)
    {
        var merged = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var line in lines)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(line.Sku);
            ArgumentOutOfRangeException.ThrowIfLessThan(line.Quantity, 1);
            // checked: validated quantities cannot overflow (MaxLines * MaxQuantity < int.MaxValue), and if the limits
            // change so that they can, this must fail loudly rather than wrap to a negative demand.
            merged[line.Sku] = checked(merged.GetValueOrDefault(line.Sku) + line.Quantity);
        }

        return merged.Select(entry => new ReservationLine(entry.Key, entry.Value)).ToList();
    }
}
