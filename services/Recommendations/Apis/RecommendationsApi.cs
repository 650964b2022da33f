using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Recommendations.Graph;

namespace Recommendations.Apis;

public static class RecommendationsApi
{
    public const int DefaultLimit = 10;
    public const int MaxLimit = 100;

    public static IEndpointRouteBuilder MapRecommendationsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/recommendations/{productId}")
            .WithTags("Recommendations")
            .ProducesValidationProblem();

        api.MapGet("/bought-together", GetBoughtTogetherAsync)
            .WithName("GetBoughtTogether")
            .WithSummary("Products most often bought in the same order")
            .WithDescription("Score: the number of confirmed orders that held both products. Ties by product id.");

        api.MapGet("/also-bought", GetAlsoBoughtAsync)
            .WithName("GetAlsoBought")
            .WithSummary("Customers who bought this also bought")
            .WithDescription("Products bought (in any order) by the customers who bought this one. "
                + "Score: the number of distinct customers. Ties by product id.");

        return app;
    }

    /// <remarks>
    /// A product nobody has bought yet answers 200 with an empty list, not 404: it may well exist in the catalog, and
    /// "no recommendations yet" is the truthful answer for it.
    /// </remarks>
    public static async Task<Ok<ProductRecommendations>> GetBoughtTogetherAsync(
        string productId, IRecommendationGraph graph, CancellationToken ct, [Range(1, MaxLimit)] int limit = DefaultLimit) =>
        TypedResults.Ok(new ProductRecommendations(productId, await graph.BoughtTogetherAsync(productId, limit, ct)));

    public static async Task<Ok<ProductRecommendations>> GetAlsoBoughtAsync(
        string productId, IRecommendationGraph graph, CancellationToken ct, [Range(1, MaxLimit)] int limit = DefaultLimit) =>
        TypedResults.Ok(new ProductRecommendations(productId, await graph.AlsoBoughtAsync(productId, limit, ct)));
}

/// <param name="ProductId">The product the recommendations are for.</param>
/// <param name="Recommendations">Best first.</param>
public sealed record ProductRecommendations(string ProductId, IReadOnlyList<Recommendation> Recommendations);
