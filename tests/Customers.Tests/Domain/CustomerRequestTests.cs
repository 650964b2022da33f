using System.ComponentModel.DataAnnotations;
using Customers.Model;

namespace Customers.Tests.Domain;

public sealed class CustomerRequestTests
{
    private static List<string> InvalidMembers(CustomerRequest request)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(request, new ValidationContext(request), results, validateAllProperties: true);
        return results.SelectMany(r => r.MemberNames).Distinct().Order().ToList();
    }

    [Fact]
    public void a_complete_request_is_valid() =>
        Assert.Empty(InvalidMembers(new CustomerRequest("ann@example.org", "Ann Example", "+44 20 7946 0000")));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("not-an-address")]
    public void an_email_that_is_missing_or_not_an_address_is_named(string? email) =>
        Assert.Equal([nameof(CustomerRequest.Email)], InvalidMembers(new CustomerRequest(email, "Ann", null)));

    [Fact]
    public void a_name_longer_than_the_table_allows_is_named() =>
        Assert.Equal([nameof(CustomerRequest.Name)], InvalidMembers(new CustomerRequest("ann@example.org", new string('a', CustomerLimits.NameLength + 1), null)));

    [Fact]
    public void a_blank_name_is_named() =>
        Assert.Equal([nameof(CustomerRequest.Name)], InvalidMembers(new CustomerRequest("ann@example.org", " ", null)));

    [Fact]
    public void the_phone_is_optional_but_bounded()
    {
        Assert.Empty(InvalidMembers(new CustomerRequest("ann@example.org", "Ann", null)));
        Assert.Equal([nameof(CustomerRequest.Phone)], InvalidMembers(new CustomerRequest("ann@example.org", "Ann", new string('1', CustomerLimits.PhoneLength + 1))));
    }

    [Fact]
    public void a_draft_is_trimmed_with_the_email_in_lower_case_and_a_blank_phone_as_none()
    {
        var draft = CustomerDraft.From(new CustomerRequest("  Ann.Example@Example.ORG ", "  Ann Example ", "  "));

        Assert.Equal(new CustomerDraft("ann.example@example.org", "Ann Example", null), draft);
    }
}
