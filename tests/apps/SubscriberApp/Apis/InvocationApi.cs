using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using SubscriberApp.Deliveries;

namespace SubscriberApp.Apis;

/// <summary>Targets for service invocation through the sidecar: show what arrived, answer as asked.</summary>
public static class InvocationApi
{
    public static IEndpointRouteBuilder MapInvocationApi(this IEndpointRouteBuilder app)
    {
        app.Map("/echo/{**rest}", EchoAsync);
        app.MapGet("/slow", SlowAsync);
        return app;
    }

    /// <summary>
    /// Any method. <c>?status=N</c> (200-599) answers N with the same body; <c>?header=Name:value</c>
    /// (repeatable) adds response headers.
    /// </summary>
    public static async Task<Results<JsonHttpResult<EchoResponse>, StatusCodeHttpResult, ValidationProblem>> EchoAsync(
        HttpContext context, [FromQuery] string? status, [FromQuery] string[]? header, CancellationToken cancellationToken)
    {
        var statusCode = StatusCodes.Status200OK;
        var headers = new List<(string Name, string Value)>();
        var errors = ValidationProblems.Collect()
            .Require(status is null || (int.TryParse(status, NumberStyles.None, CultureInfo.InvariantCulture, out statusCode) && statusCode is >= 200 and <= 599),
                nameof(status), "status must be an HTTP status code from 200 to 599.");
        foreach (var value in header ?? [])
        {
            var colon = value.IndexOf(':', StringComparison.Ordinal);
            errors.Require(colon > 0, nameof(header), $"'{value}' is not of the form Name:value.");
            if (colon > 0)
            {
                headers.Add((value[..colon].Trim(), value[(colon + 1)..].Trim()));
            }
        }

        if (errors.ToProblem() is { } problem)
        {
            return problem;
        }

        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(cancellationToken);

        foreach (var (name, value) in headers)
        {
            context.Response.Headers.Append(name, value);
        }

        // These statuses must not carry a body; Kestrel refuses to write one.
        if (statusCode is StatusCodes.Status204NoContent or StatusCodes.Status205ResetContent or StatusCodes.Status304NotModified)
        {
            return TypedResults.StatusCode(statusCode);
        }

        var request = context.Request;
        return TypedResults.Json(
            new EchoResponse(
                request.Method,
                request.PathBase + request.Path,
                request.QueryString.Value ?? string.Empty,
                ReceivedRequest.SnapshotHeaders(request.Headers),
                body),
            statusCode: statusCode);
    }

    public static async Task<Ok<SlowResponse>> SlowAsync([Range(0, 600_000)] int? ms, CancellationToken cancellationToken)
    {
        var waited = ms ?? 0;
        await Task.Delay(waited, cancellationToken);
        return TypedResults.Ok(new SlowResponse(waited));
    }
}

/// <param name="Path">The request path as received, e.g. <c>/echo/orders/1</c>.</param>
/// <param name="Query">The raw query string including its leading <c>?</c>, or empty.</param>
/// <param name="Headers">All request headers, names in lower case, repeated values joined by ','.</param>
public sealed record EchoResponse(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, string Body);

public sealed record SlowResponse(int WaitedMs);
