using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;

namespace SagaStarterApp;

/// <param name="Attempt">1 for the first start of this order id, 2 for the second, …</param>
public sealed record SagaStart(string OrderId, int Attempt, JsonElement Input, DateTimeOffset ReceivedAt);

/// <summary>Every start received, in arrival order, in memory: a killed app forgets, as a test that kills it expects.</summary>
public sealed class SagaStarts
{
    private readonly ConcurrentQueue<SagaStart> _starts = new();
    private readonly ConcurrentDictionary<string, int> _attempts = new(StringComparer.Ordinal);

    public SagaStart Record(string orderId, JsonElement input, DateTimeOffset at)
    {
        var start = new SagaStart(orderId, _attempts.AddOrUpdate(orderId, 1, (_, n) => n + 1), input.Clone(), at);
        _starts.Enqueue(start);
        return start;
    }

    public IReadOnlyList<SagaStart> List() => _starts.ToList();
}

/// <summary>order-workflow's <c>POST /sagas/orders/{orderId}</c> as docs/checkout-saga.md specifies its answers.</summary>
public static class SagaStartsApi
{
    public static IEndpointRouteBuilder MapSagaStartsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/sagas/orders/{orderId}", Start);
        app.MapGet("/starts", (SagaStarts starts) => TypedResults.Ok(starts.List()));
        return app;
    }

    /// <summary>202 when the saga is "scheduled", 200 when an instance with this id exists already.</summary>
    public static Results<Accepted<SagaStart>, Ok<SagaStart>> Start(string orderId, JsonElement input, SagaStarts starts, TimeProvider time)
    {
        var start = starts.Record(orderId, input, time.GetUtcNow());
        return start.Attempt == 1 ? TypedResults.Accepted($"/sagas/orders/{orderId}", start) : TypedResults.Ok(start);
    }
}
