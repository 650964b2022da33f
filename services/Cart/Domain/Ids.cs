namespace Cart.Domain;

/// <summary>
/// Customer and product ids end up in URLs and in state keys, so they are held to a plain alphabet: no '/', no
/// whitespace, and never Dapr's key separator "||".
/// </summary>
public static class Ids
{
    public const string Pattern = "^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$";

    public const string Message = "must be 1-128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit.";
}
