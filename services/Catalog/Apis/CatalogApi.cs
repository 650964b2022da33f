using System.ComponentModel.DataAnnotations;
using Catalog.Domain;
using Catalog.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Catalog.Apis;

public static class CatalogApi
{
    public const int DefaultPageSize = 100;
    public const int MaxPageSize = 500;

    public static IEndpointRouteBuilder MapCatalogApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/products").WithTags("Products");

        api.MapPost("/", CreateProductAsync).ProducesValidationProblem();
        api.MapGet("/{id}", GetProductAsync);
        api.MapPut("/{id}", UpdateProductAsync).ProducesValidationProblem();
        api.MapDelete("/{id}", DeleteProductAsync);
        api.MapGet("/", ListProductsAsync);

        return app;
    }

    public static async Task<Created<ProductResponse>> CreateProductAsync(ProductRequest request, ProductStore store, HttpResponse response, CancellationToken ct)
    {
        var change = Product.Create(ProductId.New(), request.ToDetails());
        if (!await store.SaveAsync(change, etag: null, ct))
        {
            // A new random id cannot be taken by a client; if it is, something else writes to this store.
            throw new InvalidOperationException($"product {change.Product.Id} already existed when it was created");
        }

        response.Headers.ETag = ETags.Of(change.Product);
        return TypedResults.Created($"/products/{change.Product.Id}", ProductResponse.From(change.Product));
    }

    public static async Task<Results<Ok<ProductResponse>, NotFound>> GetProductAsync(string id, ProductStore store, HttpResponse response, CancellationToken ct)
    {
        if (await FindLiveAsync(id, store, ct) is not { } stored)
        {
            return TypedResults.NotFound();
        }

        response.Headers.ETag = ETags.Of(stored.Product);
        return TypedResults.Ok(ProductResponse.From(stored.Product));
    }

    public static async Task<Results<Ok<ProductResponse>, NotFound, ProblemHttpResult>> UpdateProductAsync(
        string id, ProductRequest request, [FromHeader(Name = "If-Match")] string? ifMatch, ProductStore store, HttpResponse response, CancellationToken ct)
    {
        var (outcome, product) = await ChangeAsync(id, ifMatch, p => p.Update(request.ToDetails()), store, ct);
        switch (outcome)
        {
            case Outcome.Saved:
                response.Headers.ETag = ETags.Of(product!);
                return TypedResults.Ok(ProductResponse.From(product!));
            case Outcome.NotFound:
                return TypedResults.NotFound();
            default:
                return Problem(outcome);
        }
    }

    public static async Task<Results<NoContent, NotFound, ProblemHttpResult>> DeleteProductAsync(
        string id, [FromHeader(Name = "If-Match")] string? ifMatch, ProductStore store, CancellationToken ct)
    {
        var (outcome, _) = await ChangeAsync(id, ifMatch, p => p.Delete(), store, ct);
        return outcome switch
        {
            Outcome.Saved => TypedResults.NoContent(),
            Outcome.NotFound => TypedResults.NotFound(),
            _ => Problem(outcome),
        };
    }

    /// <summary>Keyset paging in id order, for bulk readers such as the search index rebuild.</summary>
    public static async Task<Results<Ok<ProductPage>, ValidationProblem>> ListProductsAsync(
        ProductStore store, CancellationToken ct, string? afterId = null, [Range(1, MaxPageSize)] int limit = DefaultPageSize, bool includeDeleted = false)
    {
        if (afterId is not null && !ProductId.IsValid(afterId))
        {
            return ValidationProblems.Field(nameof(afterId), $"afterId must be a product id ({ProductId.Length} lowercase hex characters).");
        }

        var (products, next) = await store.ListAsync(afterId, limit, includeDeleted, ct);
        return TypedResults.Ok(new ProductPage(products.Select(ProductResponse.From).ToList(), next));
    }

    private enum Outcome
    {
        Saved,
        NotFound,
        PreconditionFailed,
        Conflict,
    }

    /// <summary>
    /// Read, check the client's precondition, apply the domain change, write guarded by the etag that was read. A write
    /// that loses the race is not retried: with If-Match the client asked for exactly that revision (412); without it the
    /// client never saw the winner's change, so it is told to look again (409) rather than having it silently overwritten.
    /// </summary>
    private static async Task<(Outcome, Product?)> ChangeAsync(string id, string? ifMatch, Func<Product, ProductChange> change, ProductStore store, CancellationToken ct)
    {
        if (await FindLiveAsync(id, store, ct) is not { } stored)
        {
            return (Outcome.NotFound, null);
        }

        if (ifMatch is not null && !ETags.Matches(ifMatch, stored.Product))
        {
            return (Outcome.PreconditionFailed, null);
        }

        var changed = change(stored.Product);
        if (!await store.SaveAsync(changed, stored.ETag, ct))
        {
            return (ifMatch is null ? Outcome.Conflict : Outcome.PreconditionFailed, null);
        }

        return (Outcome.Saved, changed.Product);
    }

    /// <summary>Ids that cannot exist (wrong shape) and tombstones are both simply not found.</summary>
    private static async Task<StoredProduct?> FindLiveAsync(string id, ProductStore store, CancellationToken ct) =>
        ProductId.IsValid(id) && await store.FindAsync(id, ct) is { Product.Deleted: false } stored ? stored : null;

    private static ProblemHttpResult Problem(Outcome outcome) => outcome switch
    {
        Outcome.PreconditionFailed => TypedResults.Problem(statusCode: StatusCodes.Status412PreconditionFailed,
            title: "The product is not at the expected version",
            detail: "If-Match does not name the product's current ETag; GET the product and apply the change to the current version."),
        Outcome.Conflict => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict,
            title: "The product changed concurrently",
            detail: "Another change was saved while this one was applied; GET the product and try again."),
        _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "not a failure"),
    };
}
