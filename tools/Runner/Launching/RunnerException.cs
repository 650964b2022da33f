namespace Runner.Launching;

/// <summary>A reason to stop that the user can act on; printed without a stack trace.</summary>
public sealed class RunnerException(string message, Exception? inner = null) : Exception(message, inner);
