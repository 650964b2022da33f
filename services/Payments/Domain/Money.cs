namespace Payments.Domain;

public static class Money
{
    /// <summary>
    /// The currency of every account before deposits carried one (FundsDeposited v1): v1 events are upcast to v2 with it.
    /// </summary>
    public const string LegacyCurrency = "EUR";
}

/// <summary>The accounts the ledger itself owns. They are opened by their first credit and take no payments of their own.</summary>
public static class SystemAccounts
{
    public const string Merchant = "merchant";
    public const string TransfersInFlight = "transfers-in-flight";

    public static bool Contains(string accountId) => accountId is Merchant or TransfersInFlight;
}

/// <summary>
/// Stream keys. Accounts use their id as it is; payments and transfers get a prefix with a ':' that ids may not
/// contain (<see cref="Ids.Pattern"/>), so no account can ever share a stream with a payment or a transfer.
/// </summary>
public static class StreamKeys
{
    public static string Payment(string orderId) => "payment:" + orderId;

    public static string Transfer(string transferId) => "transfer:" + transferId;
}

public static class Ids
{
    public const string Pattern = "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$";
    public const string Description = "1 to 100 letters, digits, '.', '_' or '-', starting with a letter or digit";

    private static readonly System.Text.RegularExpressions.Regex Regex = new(Pattern, System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    public static bool IsValid(string? id) => id is not null && Regex.IsMatch(id);
}
