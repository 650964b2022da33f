using Dapr;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using SubscriberApp.Deliveries;

namespace SubscriberApp.Apis;

public static class SubscriptionsApi
{
    public const string BehaviourTopic = "behaviour";
    public const string BehaviourDeadLetterTopic = "behaviour-dead";
    public const string RoutedTopic = "routed";
    public const string RawTopic = "raw";
    public const string RoutedV2Match = "event.type == \"order.v2\"";

    public static IEndpointRouteBuilder MapSubscriptionsApi(this IEndpointRouteBuilder app, string pubSubName)
    {
        app.MapPost("/behaviour", HandleBehaviourAsync)
            .WithTopic(new TopicOptions { PubsubName = pubSubName, Name = BehaviourTopic, DeadLetterTopic = BehaviourDeadLetterTopic });

        app.MapPost("/dead-letters", (HttpContext context, DeliveryLog log) => Record(BehaviourDeadLetterTopic, context, log))
            .WithTopic(pubSubName, BehaviourDeadLetterTopic);

        app.MapPost("/routed/v2", (HttpContext context, DeliveryLog log) => Record(RoutedTopic, context, log))
            .WithTopic(new TopicOptions { PubsubName = pubSubName, Name = RoutedTopic, Match = RoutedV2Match, Priority = 1 });
        app.MapPost("/routed/default", (HttpContext context, DeliveryLog log) => Record(RoutedTopic, context, log))
            .WithTopic(pubSubName, RoutedTopic);

        app.MapPost("/raw", (HttpContext context, DeliveryLog log) => Record(RawTopic, context, log))
            .WithTopic(pubSubName, RawTopic, enableRawPayload: true);

        return app;
    }

    public static async Task<Results<Ok, Ok<TopicResponse>, NotFound, InternalServerError, ValidationProblem>> HandleBehaviourAsync(
        BehaviourEvent behaviour, HttpContext context, DeliveryLog log, IHostApplicationLifetime lifetime)
    {
        // Attribute checks ran before the handler; this rule spans two fields. Either way an invalid
        // event is rejected before it counts as a delivery attempt.
        if (behaviour.Action == BehaviourActions.FailThenSucceed && behaviour.FailTimes is null)
        {
            return ValidationProblems.Field(
                nameof(BehaviourEvent.FailTimes), $"FailTimes is required when Action is {BehaviourActions.FailThenSucceed}.");
        }

        var delivery = log.Record(BehaviourTopic, context.Request.Path, behaviour.Id, context.Features.GetRequiredFeature<ReceivedRequest>());

        switch (behaviour.Action)
        {
            case BehaviourActions.Success:
                return TypedResults.Ok();
            case BehaviourActions.Retry:
                return TypedResults.Ok(TopicResponse.Retry);
            case BehaviourActions.Drop:
                return TypedResults.Ok(TopicResponse.Drop);
            case BehaviourActions.NotFound:
                return TypedResults.NotFound();
            case BehaviourActions.Error:
                return TypedResults.InternalServerError();
            case BehaviourActions.FailThenSucceed:
                return delivery.Attempt <= behaviour.FailTimes ? TypedResults.InternalServerError() : TypedResults.Ok();
            case BehaviourActions.Hang:
                // Ends early when the sidecar gives up (request aborted) or the app stops, so stopping the app never
                // waits on a hung request. The cancellation propagates: an aborted request needs no answer, and a
                // stopping app answers 500 through the exception handler, which makes the sidecar redeliver.
                using (var hang = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping))
                {
                    await Task.Delay(behaviour.HangMs is { } ms ? TimeSpan.FromMilliseconds(ms) : Timeout.InfiniteTimeSpan, hang.Token);
                }

                return TypedResults.Ok();
            default:
                // AllowedValues keeps other actions out; reaching here means the two lists disagree.
                throw new InvalidOperationException($"Action '{behaviour.Action}' is allowed but not handled.");
        }
    }

    private static Ok Record(string topic, HttpContext context, DeliveryLog log)
    {
        var request = context.Features.GetRequiredFeature<ReceivedRequest>();
        log.Record(topic, context.Request.Path, DeliveryLog.FindId(request.Body), request);
        return TypedResults.Ok();
    }
}
