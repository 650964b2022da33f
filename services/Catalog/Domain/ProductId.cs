namespace Catalog.Domain;

/// <summary>
/// Product ids are random 128-bit values in lowercase hex (32 characters). Random rather than time-ordered on purpose:
/// the id index is split into buckets by the first two characters, and random ids spread concurrent creates over all
/// buckets instead of piling them onto the newest one.
/// </summary>
public static class ProductId
{
    public const int Length = 32;

    public static string New() => Guid.NewGuid().ToString("N");

    public static bool IsValid(string? id) => id is { Length: Length } && id.All(char.IsAsciiHexDigitLower);
}
