namespace OrderWorkflow.Checkout;

/// <summary>One undo step: the activity to call and its input.</summary>
public sealed record Compensation(string Activity, object Input);

/// <summary>
/// The undo steps of the saga so far, registered before the step they undo runs: a step that timed out may still
/// have taken effect, so its compensation must be due even though the step never reported success. Every
/// compensation therefore has to cope with "nothing to undo", which the services guarantee.
/// </summary>
public sealed class Compensations
{
    private readonly Stack<Compensation> _steps = new();

    public void Register(string activity, object input) => _steps.Push(new Compensation(activity, input));

    /// <summary>Latest first: undo in the reverse order of doing.</summary>
    public IReadOnlyList<Compensation> InReverseOrder() => [.. _steps];
}
