using System.Collections.Concurrent;
using Dapr.Workflow;

namespace LocalSidecar.Tests.Workflow;

public sealed record Step(string Value, string Suffix);

/// <summary>What the activities of one test did, and the gate a test holds an activity at.</summary>
public sealed class ActivityProbe
{
    public ConcurrentDictionary<string, int> Executions { get; } = new();

    public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource GateEntered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Count(string activity) => Executions.GetValueOrDefault(activity);

    internal int Record(string activity) => Executions.AddOrUpdate(activity, 1, (_, n) => n + 1);
}

/// <summary>The workflows and activities the tests run, registered the way an app registers its own.</summary>
public static class TestWorkflows
{
    public const string Chain = nameof(Chain);
    public const string FailsInActivity = nameof(FailsInActivity);
    public const string Retries = nameof(Retries);
    public const string Sleeps = nameof(Sleeps);
    public const string AwaitsApproval = nameof(AwaitsApproval);
    public const string Gated = nameof(Gated);
    public const string Parent = nameof(Parent);
    public const string CountsToThree = nameof(CountsToThree);
    public const string Approves = nameof(Approves);

    public static Action<WorkflowRuntimeOptions> Register(ActivityProbe probe) => options =>
    {
        options.RegisterWorkflow<string, string>(Chain, async (context, input) =>
        {
            var value = input;
            for (var i = 1; i <= 3; i++)
            {
                value = await context.CallActivityAsync<string>("Append", new Step(value, "-" + i));
                context.SetCustomStatus(new { step = i });
            }

            return value;
        });
        options.RegisterWorkflow<string, string>(FailsInActivity, (context, input) => context.CallActivityAsync<string>("Fail", input));
        options.RegisterWorkflow<string, string>(Retries, (context, input) => context.CallActivityAsync<string>(
            "Flaky", input, new WorkflowTaskOptions(RetryPolicy: new WorkflowRetryPolicy(3, TimeSpan.FromMilliseconds(200)))));
        options.RegisterWorkflow<int, double>(Sleeps, async (context, milliseconds) =>
        {
            var before = context.CurrentUtcDateTime;
            await context.CreateTimer(TimeSpan.FromMilliseconds(milliseconds));
            return (context.CurrentUtcDateTime - before).TotalMilliseconds;
        });
        options.RegisterWorkflow<int, string>(AwaitsApproval, async (context, timeoutMilliseconds) =>
        {
            try
            {
                var approver = timeoutMilliseconds > 0
                    ? await context.WaitForExternalEventAsync<string>("approval", TimeSpan.FromMilliseconds(timeoutMilliseconds))
                    : await context.WaitForExternalEventAsync<string>("approval");
                return "approved by " + approver;
            }
            catch (OperationCanceledException)
            {
                return "timed out";
            }
        });
        options.RegisterWorkflow<string, string>(Gated, (context, input) => context.CallActivityAsync<string>("Gate", input));
        options.RegisterWorkflow<string, string>(Parent, async (context, input) =>
            "parent of " + await context.CallChildWorkflowAsync<string>(Chain, input));

        options.RegisterWorkflow<int, int>(CountsToThree, async (context, n) =>
        {
            var next = await context.CallActivityAsync<string>("Append", new Step(n.ToString(System.Globalization.CultureInfo.InvariantCulture), "+1"));
            if (n < 3)
            {
                context.ContinueAsNew(n + 1);
            }

            return next.Length;
        });

        options.RegisterWorkflow<string, string>(Approves, (context, target) =>
        {
            context.SendEvent(target, "approval", "dave");
            return Task.FromResult("sent");
        });

        options.RegisterActivity<Step, string>("Append", (_, step) =>
        {
            probe.Record("Append");
            return Task.FromResult(step.Value + step.Suffix);
        });
        options.RegisterActivity<string, string>("Fail", (_, input) =>
        {
            probe.Record("Fail");
            throw new InvalidOperationException("boom: " + input);
        });
        options.RegisterActivity<string, string>("Flaky", (_, input) =>
        {
            var attempt = probe.Record("Flaky");
            return attempt < 3 ? throw new InvalidOperationException($"attempt {attempt} fails") : Task.FromResult($"{input} after {attempt} attempts");
        });
        options.RegisterActivity<string, string>("Gate", async (_, input) =>
        {
            probe.Record("Gate");
            probe.GateEntered.TrySetResult();
            await probe.Gate.Task;
            return input + " passed";
        });
    };
}
