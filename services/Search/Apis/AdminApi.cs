using Microsoft.AspNetCore.Http.HttpResults;
using Search.Indexing;

namespace Search.Apis;

public static class AdminApi
{
    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/admin/rebuild", RebuildAsync).WithTags("Admin");
        return app;
    }

    /// <summary>
    /// Re-reads the whole catalog and brings every product up to its catalog version. Runs within the request: fine for
    /// a catalog of thousands; a far larger one would run it as a background job and report progress.
    /// </summary>
    public static async Task<Ok<RebuildResult>> RebuildAsync(CatalogRebuild rebuild, CancellationToken ct) =>
        TypedResults.Ok(await rebuild.RunAsync(ct));
}
