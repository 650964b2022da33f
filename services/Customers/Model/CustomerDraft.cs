namespace Customers.Model;

/// <summary>A validated request in the form it is stored: trimmed, the e-mail in lower case, an empty phone as none.</summary>
/// <remarks>
/// E-mail addresses are unique regardless of case ("Ann@x.org" and "ann@x.org" are one customer), and lower-casing on
/// the way in lets a plain UNIQUE constraint enforce that.
/// </remarks>
public sealed record CustomerDraft(string Email, string Name, string? Phone)
{
    /// <summary>Expects a request that passed validation; anything else is a programming error.</summary>
    public static CustomerDraft From(CustomerRequest request)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(request.Email);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.Name);
        return new CustomerDraft(
            NormalizeEmail(request.Email),
            request.Name.Trim(),
            string.IsNullOrWhiteSpace(request.Phone) ? null : request.Phone.Trim());
    }

    public static string NormalizeEmail(string email) => email.Trim().ToLowerInvariant();
}
