using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Dapr.Testing;

namespace Customers.Tests.Api;

[Collection(SharedServers.Collection)]
public sealed class CustomersApiTests(CustomersApiFixture fixture) : IClassFixture<CustomersApiFixture>
{
    private HttpClient Api => fixture.App.Api;

    private static string UniqueEmail(string who = "ann") => $"{who}.{Guid.NewGuid():N}@example.org";

    private async Task<(JsonElement Customer, string ETag)> CreateAsync(string email, string name = "Ann Example", string? phone = null)
    {
        using var response = await Api.PostAsJsonAsync("customers", new { email, name, phone });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>(), response.Headers.ETag!.ToString());
    }

    private Task<HttpResponseMessage> PutAsync(Guid id, object body, string? ifMatch)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, $"customers/{id}") { Content = JsonContent.Create(body) };
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        return Api.SendAsync(request);
    }

    private async Task<long> CountAsync(string email)
    {
        await using var command = fixture.App.Database.CreateCommand("SELECT count(*) FROM customers WHERE email = $1");
        command.Parameters.Add(new() { Value = email });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Fact]
    public async Task a_created_customer_is_stored_at_version_1_and_read_back_with_its_etag()
    {
        var email = UniqueEmail();
        using var response = await Api.PostAsJsonAsync("customers", new { email = "  " + email.ToUpperInvariant(), name = " Ann Example ", phone = "+44 20 7946 0000" });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await response.Content.ReadFromJsonAsync<JsonElement>();
        var id = created.GetProperty("id").GetGuid();
        Assert.Equal($"/customers/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal("\"1\"", response.Headers.ETag?.ToString());
        Assert.Equal(email, created.GetProperty("email").GetString());
        Assert.Equal("Ann Example", created.GetProperty("name").GetString());
        Assert.Equal(1, created.GetProperty("version").GetInt32());

        using var read = await Api.GetAsync($"customers/{id}");
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal("\"1\"", read.Headers.ETag?.ToString());
        Assert.Equal(created.ToString(), (await read.Content.ReadFromJsonAsync<JsonElement>()).ToString());
    }

    [Fact]
    public async Task an_unknown_customer_is_not_found() =>
        Assert.Equal(HttpStatusCode.NotFound, (await Api.GetAsync($"customers/{Guid.NewGuid()}")).StatusCode);

    [Fact]
    public async Task an_email_already_in_use_in_any_case_is_a_conflict_and_writes_nothing()
    {
        var email = UniqueEmail();
        await CreateAsync(email);

        using var response = await Api.PostAsJsonAsync("customers", new { email = email.ToUpperInvariant(), name = "Another Ann" });

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var problem = await ProblemAsync(response);
        Assert.Equal(409, problem.GetProperty("status").GetInt32());
        Assert.Equal("Email", problem.GetProperty("field").GetString());
        Assert.Equal(1, await CountAsync(email));
    }

    [Theory]
    [InlineData("not-an-address", "Ann", "Email")]
    [InlineData(null, "Ann", "Email")]
    [InlineData("{email}", "", "Name")]
    [InlineData("{email}", null, "Name")]
    public async Task bad_input_is_a_400_naming_the_field_and_writes_nothing(string? email, string? name, string field)
    {
        var address = UniqueEmail();
        email = email?.Replace("{email}", address, StringComparison.Ordinal);

        using var response = await Api.PostAsJsonAsync("customers", new { email, name });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await ProblemAsync(response)).GetProperty("errors");
        Assert.Equal([field], errors.EnumerateObject().Select(e => e.Name));
        Assert.Equal(0, await CountAsync(address));
    }

    [Fact]
    public async Task an_update_with_the_current_etag_replaces_the_details_and_moves_to_the_next_version()
    {
        var (customer, etag) = await CreateAsync(UniqueEmail());
        var id = customer.GetProperty("id").GetGuid();
        var newEmail = UniqueEmail("ann.new");

        using var response = await PutAsync(id, new { email = newEmail, name = "Ann New", phone = "123" }, etag);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("\"2\"", response.Headers.ETag?.ToString());
        var updated = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(newEmail, updated.GetProperty("email").GetString());
        Assert.Equal("Ann New", updated.GetProperty("name").GetString());
        Assert.Equal(2, updated.GetProperty("version").GetInt32());
        Assert.Equal(customer.GetProperty("createdAt").GetDateTime(), updated.GetProperty("createdAt").GetDateTime());
    }

    [Fact]
    public async Task of_two_updates_from_the_same_version_the_second_fails_with_412_and_changes_nothing()
    {
        var (customer, etag) = await CreateAsync(UniqueEmail());
        var id = customer.GetProperty("id").GetGuid();
        var email = customer.GetProperty("email").GetString()!;

        using var first = await PutAsync(id, new { email, name = "First Writer" }, etag);
        using var second = await PutAsync(id, new { email, name = "Second Writer" }, etag);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.PreconditionFailed, second.StatusCode);
        Assert.Equal(412, (await ProblemAsync(second)).GetProperty("status").GetInt32());
        Assert.Equal("\"2\"", second.Headers.ETag?.ToString());
        var current = await Api.GetFromJsonAsync<JsonElement>($"customers/{id}");
        Assert.Equal("First Writer", current.GetProperty("name").GetString());
    }

    [Fact]
    public async Task an_update_without_if_match_is_refused_with_428()
    {
        var (customer, _) = await CreateAsync(UniqueEmail());

        using var response = await PutAsync(customer.GetProperty("id").GetGuid(), new { email = UniqueEmail(), name = "Blind Writer" }, ifMatch: null);

        Assert.Equal((HttpStatusCode)428, response.StatusCode);
        Assert.Equal(1, (await Api.GetFromJsonAsync<JsonElement>($"customers/{customer.GetProperty("id").GetGuid()}")).GetProperty("version").GetInt32());
    }

    [Fact]
    public async Task updating_an_unknown_customer_is_not_found() =>
        Assert.Equal(HttpStatusCode.NotFound, (await PutAsync(Guid.NewGuid(), new { email = UniqueEmail(), name = "Nobody" }, "\"1\"")).StatusCode);

    [Fact]
    public async Task taking_another_customers_email_in_an_update_is_a_conflict()
    {
        var taken = UniqueEmail("bob");
        await CreateAsync(taken, "Bob");
        var (ann, etag) = await CreateAsync(UniqueEmail());

        using var response = await PutAsync(ann.GetProperty("id").GetGuid(), new { email = taken, name = "Ann" }, etag);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal(1, await CountAsync(taken));
    }

    [Fact]
    public async Task a_bad_update_is_a_400_naming_the_field()
    {
        var (customer, etag) = await CreateAsync(UniqueEmail());

        using var response = await PutAsync(customer.GetProperty("id").GetGuid(), new { email = "nope", name = "Ann" }, etag);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(["Email"], (await ProblemAsync(response)).GetProperty("errors").EnumerateObject().Select(e => e.Name));
    }

    [Fact]
    public async Task customers_are_found_by_email_in_any_case()
    {
        var email = UniqueEmail();
        var (customer, _) = await CreateAsync(email);

        var found = await Api.GetFromJsonAsync<JsonElement>($"customers?email={Uri.EscapeDataString(email.ToUpperInvariant())}");
        var none = await Api.GetFromJsonAsync<JsonElement>($"customers?email={Uri.EscapeDataString(UniqueEmail("nobody"))}");

        Assert.Equal([customer.GetProperty("id").GetGuid()], found.EnumerateArray().Select(c => c.GetProperty("id").GetGuid()));
        Assert.Equal(0, none.GetArrayLength());
    }

    [Fact]
    public async Task finding_without_an_email_is_a_400_naming_it()
    {
        using var response = await Api.GetAsync("customers");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(["email"], (await ProblemAsync(response)).GetProperty("errors").EnumerateObject().Select(e => e.Name));
    }

    [Fact]
    public async Task the_openapi_document_describes_the_customers_api()
    {
        var document = await Api.GetFromJsonAsync<JsonElement>("openapi/v1.json");

        var paths = document.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/customers", out _));
        Assert.True(paths.TryGetProperty("/customers/{id}", out _));
    }
}
