using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Search.Indexing;

namespace Search.Apis;

public static class SearchApi
{
    public const int MaxPageSize = 50;

    public static IEndpointRouteBuilder MapSearchApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/search", SearchAsync).WithTags("Search");
        return app;
    }

    /// <param name="q">Words as people type them, in English or French, accents optional ("creme brulee").</param>
    /// <param name="category">Only products of this category (exact match).</param>
    public static async Task<Ok<SearchPage>> SearchAsync(
        ProductSearch search,
        CancellationToken ct,
        [StringLength(200)] string? q = null,
        [StringLength(100)] string? category = null,
        [Range(1, 1000)] int page = 1,
        [Range(1, MaxPageSize)] int pageSize = 20)
    {
        return TypedResults.Ok(await search.SearchAsync(q, string.IsNullOrWhiteSpace(category) ? null : category, page, pageSize, ct));
    }
}
