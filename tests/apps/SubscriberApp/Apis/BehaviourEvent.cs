using System.ComponentModel.DataAnnotations;

namespace SubscriberApp.Apis;

/// <summary>The data of an event on the <c>behaviour</c> topic: how the app should answer this delivery.</summary>
/// <param name="Id">Identifies the event across redeliveries; attempts are counted per id.</param>
/// <param name="Action">One of <see cref="BehaviourActions"/>.</param>
/// <param name="FailTimes">For fail-then-succeed: how many attempts answer 500 before one succeeds.</param>
/// <param name="HangMs">For hang: how long to wait before answering; absent = until the request is aborted.</param>
public sealed record BehaviourEvent(
    [Required] string Id,
    [Required]
    [AllowedValues(
        BehaviourActions.Success, BehaviourActions.Retry, BehaviourActions.Drop, BehaviourActions.NotFound,
        BehaviourActions.Error, BehaviourActions.Hang, BehaviourActions.FailThenSucceed,
        ErrorMessage = "Action must be one of success, retry, drop, notfound, error, hang, fail-then-succeed.")]
    string Action,
    [Range(0, int.MaxValue)] int? FailTimes,
    [Range(0, int.MaxValue)] int? HangMs);

public static class BehaviourActions
{
    public const string Success = "success";
    public const string Retry = "retry";
    public const string Drop = "drop";
    public const string NotFound = "notfound";
    public const string Error = "error";
    public const string Hang = "hang";
    public const string FailThenSucceed = "fail-then-succeed";
}

/// <summary>The body Dapr reads to decide what happens to a delivered message.</summary>
public sealed record TopicResponse(string Status)
{
    public static readonly TopicResponse Retry = new("RETRY");
    public static readonly TopicResponse Drop = new("DROP");
}
