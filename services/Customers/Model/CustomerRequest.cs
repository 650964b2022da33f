using System.ComponentModel.DataAnnotations;

namespace Customers.Model;

/// <summary>The body of <c>POST /customers</c> and <c>PUT /customers/{id}</c>: every field a client may set.</summary>
/// <remarks>
/// The limits match the table's CHECK constraints, so a request that passes here is never refused by the database, and
/// no value is ever large enough for PostgreSQL to move it out of line (TOAST), which the change capture relies on.
/// </remarks>
public sealed record CustomerRequest(
    [property: Required, EmailAddress, StringLength(CustomerLimits.EmailLength)] string? Email,
    [property: Required, StringLength(CustomerLimits.NameLength)] string? Name,
    [property: StringLength(CustomerLimits.PhoneLength)] string? Phone);

public static class CustomerLimits
{
    public const int EmailLength = 254;
    public const int NameLength = 200;
    public const int PhoneLength = 32;
}
