using System.Globalization;

namespace Runner.Planning;

/// <summary>daprd's command-line flags for one app; a flag appears only when its value is present.</summary>
public static class SidecarArguments
{
    public static IReadOnlyList<string> For(AppLaunchPlan plan)
    {
        var args = new List<string>();
        void Flag(string name, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                args.Add(name);
                args.Add(value);
            }
        }
        void Number(string name, int? value) => Flag(name, value is > 0 ? value.Value.ToString(CultureInfo.InvariantCulture) : null);
        void Switch(string name, bool on)
        {
            if (on)
            {
                args.Add(name);
            }
        }

        Flag("--app-id", plan.AppId);
        Number("--app-port", plan.AppPort);
        Number("--dapr-http-port", plan.DaprHttpPort);
        Number("--dapr-grpc-port", plan.DaprGrpcPort);
        Number("--metrics-port", plan.MetricsPort);
        Number("--dapr-internal-grpc-port", plan.DaprInternalGrpcPort);
        Flag("--app-channel-address", plan.AppChannelAddress);
        Flag("--app-protocol", plan.EffectiveAppProtocol);
        foreach (var path in plan.ResourcesPaths)
        {
            Flag("--resources-path", path);
        }
        Flag("--config", plan.ConfigFilePath);
        Flag("--log-level", plan.LogLevel);
        Switch("--enable-api-logging", plan.EnableApiLogging);
        Flag("--dapr-listen-addresses", plan.ApiListenAddresses);
        Number("--app-max-concurrency", plan.AppMaxConcurrency);
        Switch("--enable-profiling", plan.EnableProfiling);
        Number("--profile-port", plan.ProfilePort);
        Flag("--placement-host-address", plan.PlacementHostAddress);
        Flag("--scheduler-host-address", plan.SchedulerHostAddress);
        Flag("--max-body-size", plan.MaxBodySize);
        Flag("--read-buffer-size", plan.ReadBufferSize);
        Switch("--enable-app-health-check", plan.EnableAppHealthCheck);
        Flag("--app-health-check-path", plan.AppHealthCheckPath);
        Number("--app-health-probe-interval", plan.AppHealthProbeInterval);
        Number("--app-health-probe-timeout", plan.AppHealthProbeTimeout);
        Number("--app-health-threshold", plan.AppHealthThreshold);
        Flag("--unix-domain-socket", plan.UnixDomainSocket);
        return args;
    }
}
