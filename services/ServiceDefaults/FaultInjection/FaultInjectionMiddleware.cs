using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.Hosting.FaultInjection;

/// <summary>
/// Injects faults into this app's own HTTP endpoints, for fault-injection tests of the whole system through real
/// processes and sidecars: <c>POST /_faults</c> adds a <see cref="FaultRule"/>, <c>GET /_faults</c> lists the rules
/// with their strike counts, <c>DELETE /_faults</c> clears them. Only present when the configuration says
/// <c>FaultInjection:Enabled=true</c>, which no shipped configuration does; it is the tests' and the developer's switch.
/// </summary>
/// <remarks>
/// Written here rather than taken from a library: Polly's chaos strategies (Simmy) inject faults into calls a service
/// makes, and what these tests need is a service that fails the calls it receives, including after its work committed.
/// </remarks>
internal sealed class FaultInjectionMiddleware(RequestDelegate next, FaultRules rules, ILogger<FaultInjectionMiddleware> logger)
{
    public const string Path = "/_faults";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (request.Path.Equals(Path, StringComparison.OrdinalIgnoreCase))
        {
            await ManageAsync(context);
            return;
        }

        if (rules.Strike(request.Method, request.Path.Value ?? "/") is not { } rule)
        {
            await next(context);
            return;
        }

        if (rule.Timing == FaultTiming.Delay)
        {
            logger.LogWarning("Injected delay: {Method} {Path} waits {Delay} ms", request.Method, request.Path, rule.DelayMilliseconds);
            await Task.Delay(rule.DelayMilliseconds, context.RequestAborted);
            await next(context);
            return;
        }

        if (rule.Timing == FaultTiming.After)
        {
            // Let the handler do all its work, but keep its answer from the caller.
            var original = context.Response.Body;
            context.Response.Body = Stream.Null;
            try
            {
                await next(context);
            }
            finally
            {
                context.Response.Body = original;
            }

            context.Response.Clear();
        }

        logger.LogWarning("Injected fault: {Method} {Path} answered {Status} ({Timing} the handler)", request.Method, request.Path, rule.Status, rule.Timing);
        context.Response.StatusCode = rule.Status;
        await context.Response.WriteAsJsonAsync(new
        {
            type = "about:blank",
            title = "Injected fault",
            status = rule.Status,
            detail = $"FaultInjection: {rule.Timing} the handler",
        }, Json, "application/problem+json");
    }

    private async Task ManageAsync(HttpContext context)
    {
        switch (context.Request.Method)
        {
            case "GET":
                await context.Response.WriteAsJsonAsync(rules.Snapshot(), Json);
                break;
            case "POST":
                FaultRule? rule;
                try
                {
                    rule = await context.Request.ReadFromJsonAsync<FaultRule>(Json);
                    if (rule is null || string.IsNullOrEmpty(rule.Path))
                    {
                        throw new JsonException("path is required");
                    }

                    rules.Add(rule);
                }
                catch (Exception e) when (e is JsonException or ArgumentException)
                {
                    context.Response.StatusCode = StatusCodes.Status400BadRequest;
                    await context.Response.WriteAsJsonAsync(new { title = "Invalid fault rule", detail = e.Message }, Json, "application/problem+json");
                    return;
                }

                logger.LogWarning("Fault rule added: {Rule}", rule);
                context.Response.StatusCode = StatusCodes.Status201Created;
                break;
            case "DELETE":
                rules.Clear();
                context.Response.StatusCode = StatusCodes.Status204NoContent;
                break;
            default:
                context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
                break;
        }
    }
}

/// <summary>Puts the middleware first in the pipeline, whatever order a service's Program.cs uses.</summary>
internal sealed class FaultInjectionStartupFilter : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.UseMiddleware<FaultInjectionMiddleware>();
        next(app);
    };
}
