namespace Runner.RunFiles;

/// <summary>A run file as written: values are null when the key was absent, so "absent" and "zero" stay distinguishable.</summary>
public sealed record RunFile(
    string DisplayPath,
    string FullPath,
    int Version,
    string? Name,
    SharedSettings Common,
    IReadOnlyList<AppEntry> Apps)
{
    public string Directory => System.IO.Path.GetDirectoryName(FullPath)!;
}

public enum LogDestination
{
    File,
    Console,
    FileAndConsole,
}

/// <summary>Keys allowed both in <c>common</c> and in each app.</summary>
public sealed record SharedSettings
{
    public string? ConfigFilePath { get; init; }
    public string? AppProtocol { get; init; }
    public string? ApiListenAddresses { get; init; }
    public bool? EnableProfiling { get; init; }
    public string? LogLevel { get; init; }
    public int? AppMaxConcurrency { get; init; }
    public string? PlacementHostAddress { get; init; }
    public string? SchedulerHostAddress { get; init; }
    public string? ResourcesPath { get; init; }
    public IReadOnlyList<string>? ResourcesPaths { get; init; }
    public bool? AppSsl { get; init; }
    public string? MaxBodySize { get; init; }
    public string? ReadBufferSize { get; init; }
    public bool? EnableAppHealthCheck { get; init; }
    public string? AppHealthCheckPath { get; init; }
    public int? AppHealthProbeInterval { get; init; }
    public int? AppHealthProbeTimeout { get; init; }
    public int? AppHealthThreshold { get; init; }
    public bool? EnableApiLogging { get; init; }
    public string? RuntimePath { get; init; }
    public IReadOnlyList<KeyValuePair<string, string>>? Env { get; init; }
    public LogDestination? DaprdLogDestination { get; init; }
    public LogDestination? AppLogDestination { get; init; }
}

/// <summary>One entry of <c>apps</c>; <see cref="Label"/> is how errors refer to it.</summary>
public sealed record AppEntry
{
    public required int Index { get; init; }
    public required SharedSettings Shared { get; init; }
    public string? AppId { get; init; }
    public string? AppDirPath { get; init; }
    public string? AppChannelAddress { get; init; }
    public int? AppPort { get; init; }
    public int? DaprHttpPort { get; init; }
    public int? DaprGrpcPort { get; init; }
    public int? ProfilePort { get; init; }
    public IReadOnlyList<string>? Command { get; init; }
    public int? MetricsPort { get; init; }
    public string? UnixDomainSocket { get; init; }
    public int? DaprInternalGrpcPort { get; init; }
    public string? ContainerImage { get; init; }
    public string? ContainerImagePullPolicy { get; init; }
    public bool? CreateService { get; init; }

    public string Label => AppId is null ? $"apps[{Index}]" : $"apps[{Index}] ({AppId})";
}
