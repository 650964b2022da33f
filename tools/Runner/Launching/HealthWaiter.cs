using System.Globalization;
using Runner.Infrastructure;
using Runner.Planning;
using Runner.Processes;

namespace Runner.Launching;

/// <summary>
/// Waits until every sidecar answers <c>/v1.0/healthz</c> with 2xx and every app with a port accepts
/// connections (or answers its health path when app health checks are on). Stops early when a
/// process it waits for has already exited.
/// </summary>
public sealed class HealthWaiter(HttpClient http, TimeSpan timeout)
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>One line per app that did not come up; empty when all are healthy.</summary>
    public async Task<IReadOnlyList<string>> WaitForAllAsync(
        IReadOnlyList<StartedApp> apps, CancellationToken cancel)
    {
        var results = await Task.WhenAll(apps.Select(async a =>
        {
            var sidecar = await SidecarProblemAsync(a.Plan, a.Sidecar, cancel);
            var app = a.App is null ? null : await AppProblemAsync(a.Plan, a.App, cancel);
            return new[] { sidecar, app };
        }));
        return [.. results.SelectMany(r => r).OfType<string>()];
    }

    /// <summary>Null once the sidecar answers its health endpoint; otherwise a sentence naming the app.</summary>
    public async Task<string?> SidecarProblemAsync(AppLaunchPlan plan, ChildProcess sidecar, CancellationToken cancel)
    {
        var url = $"http://127.0.0.1:{plan.DaprHttpPort.ToString(CultureInfo.InvariantCulture)}/v1.0/healthz";
        var problem = await PollAsync(sidecar, () => AnswersSuccessAsync(url, cancel), cancel);
        return problem is null ? null : $"app '{plan.AppId}': its sidecar {problem} (expected GET {url} to answer 2xx)";
    }

    /// <summary>Null once the app is reachable (or when it has no port to check); otherwise a sentence naming the app.</summary>
    public async Task<string?> AppProblemAsync(AppLaunchPlan plan, ChildProcess app, CancellationToken cancel)
    {
        if (plan.AppPort is not { } port)
        {
            return null;
        }
        var (check, describe) = AppCheck(plan, port, cancel);
        var problem = await PollAsync(app, check, cancel);
        return problem is null ? null : $"app '{plan.AppId}': the app {problem} (expected {describe})";
    }

    private (Func<Task<bool>> Check, string Describe) AppCheck(AppLaunchPlan plan, int port, CancellationToken cancel)
    {
        var httpLike = plan.EffectiveAppProtocol is "http" or "https";
        if (plan.EnableAppHealthCheck && httpLike)
        {
            // daprd probes /healthz when health checks are on and no path is given.
            var path = string.IsNullOrEmpty(plan.AppHealthCheckPath) ? "/healthz" : plan.AppHealthCheckPath;
            var url = $"{plan.EffectiveAppProtocol}://{plan.AppHost}:{port.ToString(CultureInfo.InvariantCulture)}{(path.StartsWith('/') ? "" : "/")}{path}";
            return (() => AnswersSuccessAsync(url, cancel), $"GET {url} to answer 2xx");
        }
        return (() => TcpProbe.IsListeningAsync(plan.AppHost, port, TimeSpan.FromSeconds(1), cancel),
            $"a TCP connection to {plan.AppHost}:{port.ToString(CultureInfo.InvariantCulture)}");
    }

    /// <summary>Null once healthy; otherwise what went wrong.</summary>
    private async Task<string?> PollAsync(ChildProcess process, Func<Task<bool>> isHealthy, CancellationToken cancel)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (await isHealthy())
            {
                return null;
            }
            if (process.HasExited)
            {
                return $"exited with code {await process.Exited} before it became healthy";
            }
            if (DateTime.UtcNow >= deadline)
            {
                return $"was not healthy within {timeout.TotalSeconds:0} s";
            }
            await Task.Delay(PollInterval, cancel);
        }
    }

    private async Task<bool> AnswersSuccessAsync(string url, CancellationToken cancel)
    {
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        attempt.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            using var response = await http.GetAsync(url, attempt.Token);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            // Connection refused is the normal answer while the process is still starting; the caller polls again.
            return false;
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            return false;
        }
    }
}
