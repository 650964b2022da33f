namespace OrderWorkflow.Infrastructure;

/// <summary>
/// What a service answered to one step: done, or refused on business grounds (a 4xx with the problem's <c>code</c>).
/// Faults are not results: they are exceptions, so that the workflow's retry policy retries them and only them.
/// </summary>
public sealed record StepResult(bool Succeeded, string? Code = null, string? Detail = null)
{
    public static readonly StepResult Done = new(true);

    public static StepResult Refused(string code, string? detail) => new(false, code, detail);

    /// <summary>For the order's cancellation reason and the logs: "out-of-stock: A-1 has 0 of 2".</summary>
    public string Describe() => Succeeded ? "done" : Detail is null ? Code! : $"{Code}: {Detail}";
}

/// <summary>A service could not be reached or failed (5xx, timeout): transient as far as the saga knows.</summary>
public sealed class ServiceFaultException(string message, Exception? inner = null) : Exception(message, inner);
