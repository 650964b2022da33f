namespace Inventory.Domain;

/// <summary>
/// SKUs and order ids end up in URLs, so they use the alphabet of the cart's ids (services/Cart/Domain/Ids.cs): no '/',
/// no whitespace. A SKU is at most 64 characters, as the cart's; an order id up to 128, as the cart's ids. Both are
/// compared exactly, case included: "a-1" and "A-1" are two SKUs.
/// </summary>
public static class Identifiers
{
    public const string SkuPattern = "^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$";

    public const string SkuMessage = "must be 1-64 letters, digits, '.', '_', ':' or '-', starting with a letter or digit.";

    public const string OrderIdPattern = "^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$";

    public const string OrderIdMessage = "must be 1-128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit.";
}
