using Cart.Infrastructure;
using Microsoft.AspNetCore.Http.Metadata;

namespace Cart.Apis;

/// <summary>Writes another app's answer (status, content type, body) back unchanged.</summary>
public sealed class ForwardedAnswer(OrdersAnswer answer) : IResult, IStatusCodeHttpResult, IEndpointMetadataProvider
{
    public int? StatusCode => answer.StatusCode;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.StatusCode = answer.StatusCode;
        if (answer.ContentType is { } contentType)
        {
            httpContext.Response.ContentType = contentType;
        }

        await httpContext.Response.Body.WriteAsync(answer.Body, httpContext.RequestAborted);
    }

    /// <summary>For the OpenAPI document: the answers orders gives to a checkout.</summary>
    public static void PopulateMetadata(System.Reflection.MethodInfo method, EndpointBuilder builder)
    {
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status202Accepted, typeof(object), ["application/json"]));
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(object), ["application/json"]));
    }
}
