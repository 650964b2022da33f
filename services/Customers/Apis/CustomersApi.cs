using System.ComponentModel.DataAnnotations;
using Customers.Infrastructure;
using Customers.Model;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Customers.Apis;

public static class CustomersApi
{
    public static RouteGroupBuilder MapCustomersApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/customers").WithTags("Customers");

        api.MapPost("/", CreateCustomer)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .WithName("CreateCustomer")
            .WithSummary("Create a customer; the e-mail address must not be in use (case-insensitively).");
        api.MapGet("/{id:guid}", GetCustomer)
            .WithName("GetCustomer")
            .WithSummary("A customer, with its version as the ETag.");
        api.MapPut("/{id:guid}", UpdateCustomer)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .ProducesProblem(StatusCodes.Status428PreconditionRequired)
            .WithName("UpdateCustomer")
            .WithSummary("Replace a customer's details; If-Match must carry the ETag of the version being replaced.");
        api.MapGet("/", FindCustomers)
            .WithName("FindCustomers")
            .WithSummary("The customers with this e-mail address: none or one.");

        return api;
    }

    public static async Task<Results<Created<Customer>, ProblemHttpResult>> CreateCustomer(
        CustomerRequest request, CustomerStore store, HttpResponse response, CancellationToken ct)
    {
        switch (await store.CreateAsync(CustomerDraft.From(request), ct))
        {
            case CreateResult.Created(var customer):
                response.Headers.ETag = RowVersion.ToETag(customer.Version);
                return TypedResults.Created($"/customers/{customer.Id}", customer);
            case CreateResult.EmailTaken:
                return EmailTaken(request.Email!);
            case var other:
                throw new InvalidOperationException($"unexpected result {other}");
        }
    }

    public static async Task<Results<Ok<Customer>, NotFound>> GetCustomer(Guid id, CustomerStore store, HttpResponse response, CancellationToken ct)
    {
        if (await store.GetAsync(id, ct) is not { } customer)
        {
            return TypedResults.NotFound();
        }

        response.Headers.ETag = RowVersion.ToETag(customer.Version);
        return TypedResults.Ok(customer);
    }

    public static async Task<Results<Ok<Customer>, NotFound, ProblemHttpResult>> UpdateCustomer(
        Guid id, CustomerRequest request, [FromHeader(Name = "If-Match")] string? ifMatch, CustomerStore store, HttpResponse response, CancellationToken ct)
    {
        // Without a version an update would silently overwrite whatever another client saved in the meantime.
        if (ifMatch is null)
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status428PreconditionRequired,
                title: "If-Match is required",
                detail: "Send the ETag of the customer you read in If-Match, so that a concurrent update is not overwritten.");
        }

        if (!RowVersion.TryParse(ifMatch, out var expectedVersion))
        {
            return PreconditionFailed($"If-Match {ifMatch} is not an ETag of this API; read the customer for its current ETag.");
        }

        switch (await store.UpdateAsync(id, expectedVersion, CustomerDraft.From(request), ct))
        {
            case UpdateResult.Updated(var customer):
                response.Headers.ETag = RowVersion.ToETag(customer.Version);
                return TypedResults.Ok(customer);
            case UpdateResult.NotFound:
                return TypedResults.NotFound();
            case UpdateResult.VersionMismatch(var current):
                response.Headers.ETag = RowVersion.ToETag(current);
                return PreconditionFailed($"The customer was changed since version {expectedVersion}; it is at version {current} now.");
            case UpdateResult.EmailTaken:
                return EmailTaken(request.Email!);
            case var other:
                throw new InvalidOperationException($"unexpected result {other}");
        }
    }

    public static async Task<Results<Ok<Customer[]>, ValidationProblem>> FindCustomers([EmailAddress] string? email, CustomerStore store, CancellationToken ct)
    {
        // The validation filter checks a query value's attributes only when the value is present, so [Required] would not.
        if (string.IsNullOrWhiteSpace(email))
        {
            return ValidationProblems.Field(nameof(email), "An e-mail address to look for is required.");
        }

        var customer = await store.FindByEmailAsync(email, ct);
        return TypedResults.Ok(customer is null ? Array.Empty<Customer>() : [customer]);
    }

    private static ProblemHttpResult EmailTaken(string email) => TypedResults.Problem(
        statusCode: StatusCodes.Status409Conflict,
        title: "E-mail address in use",
        detail: $"Another customer already uses {CustomerDraft.NormalizeEmail(email)}.",
        extensions: new Dictionary<string, object?> { ["field"] = nameof(CustomerRequest.Email) });

    private static ProblemHttpResult PreconditionFailed(string detail) => TypedResults.Problem(
        statusCode: StatusCodes.Status412PreconditionFailed,
        title: "Version mismatch",
        detail: detail);
}
