using Runner.RunFiles;

namespace Runner.Planning;

/// <summary>
/// Everything needed to start one app and its sidecar: common and app settings merged, paths
/// absolute, ports settled. Built by <see cref="RunPlanner"/>; nothing here touches processes.
/// </summary>
public sealed record AppLaunchPlan
{
    public required string AppId { get; init; }
    public required string AppDirPath { get; init; }
    /// <summary>Empty when the app has no command: then only its sidecar runs.</summary>
    public required IReadOnlyList<string> Command { get; init; }
    /// <summary>As written (may be empty): the CLI passes it on verbatim.</summary>
    public required string AppChannelAddress { get; init; }
    public required string AppProtocol { get; init; }
    public required bool AppSsl { get; init; }
    /// <summary>Null when the app listens on no port.</summary>
    public int? AppPort { get; init; }
    public required int DaprHttpPort { get; init; }
    public required int DaprGrpcPort { get; init; }
    public required int MetricsPort { get; init; }
    public int? ProfilePort { get; init; }
    public int? DaprInternalGrpcPort { get; init; }
    public string? UnixDomainSocket { get; init; }
    public string? ConfigFilePath { get; init; }
    public required IReadOnlyList<string> ResourcesPaths { get; init; }
    public string? ApiListenAddresses { get; init; }
    public bool EnableProfiling { get; init; }
    public string? LogLevel { get; init; }
    public int? AppMaxConcurrency { get; init; }
    public string? PlacementHostAddress { get; init; }
    public string? SchedulerHostAddress { get; init; }
    public string? MaxBodySize { get; init; }
    public string? ReadBufferSize { get; init; }
    public bool EnableAppHealthCheck { get; init; }
    public string? AppHealthCheckPath { get; init; }
    public int? AppHealthProbeInterval { get; init; }
    public int? AppHealthProbeTimeout { get; init; }
    public int? AppHealthThreshold { get; init; }
    public bool EnableApiLogging { get; init; }
    public string? RuntimePath { get; init; }
    /// <summary>common env first, then the app's own; later entries win.</summary>
    public required IReadOnlyList<KeyValuePair<string, string>> Env { get; init; }
    public required LogDestination AppLogDestination { get; init; }
    public required LogDestination DaprdLogDestination { get; init; }

    public bool HasCommand => Command.Count > 0;

    /// <summary>The protocol daprd and the app agree on, folding in the deprecated appSSL the way the CLI does.</summary>
    public string EffectiveAppProtocol => (AppProtocol, AppSsl) switch
    {
        ("http", true) => "https",
        ("grpc", true) => "grpcs",
        var (protocol, _) => protocol,
    };

    /// <summary>Where the app is reached; daprd's own default when the run file gives no address.</summary>
    public string AppHost => AppChannelAddress.Length == 0 ? "127.0.0.1" : AppChannelAddress;

    public string LogsDirectory => Path.Combine(AppDirPath, ".dapr", "logs");
}
