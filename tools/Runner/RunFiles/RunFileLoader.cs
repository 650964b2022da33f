using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Runner.RunFiles;

/// <summary>
/// Turns a Dapr multi-app run file into a <see cref="RunFile"/>. Only reading and validating the
/// text happens here; paths and ports are settled later by <see cref="RunPlanner"/>.
/// </summary>
public static class RunFileLoader
{
    private static readonly string[] AppProtocols = ["http", "https", "grpc", "grpcs", "h2c"];
    private static readonly string[] PullPolicies = ["Always", "Never", "IfNotPresent"];

    public static RunFile Load(string path)
    {
        var fullPath = Path.GetFullPath(path);
        string text;
        try
        {
            text = File.ReadAllText(fullPath);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new RunFileException($"{path}: run file not found (looked at {fullPath})", e);
        }
        return Parse(text, path, fullPath);
    }

    public static RunFile Parse(string yaml, string displayPath, string fullPath)
    {
        var root = ReadRoot(yaml, displayPath);
        var top = new YamlMappingReader(root, displayPath, "");

        var version = top.Int("version") ?? throw top.Error("version is required (use version: 1)");
        if (version != 1)
        {
            throw top.Error($"version {version} is not supported (only version: 1 is)");
        }
        var name = top.String("name");

        var common = ReadShared(MappingOrEmpty(top, "common", displayPath), displayPath, "common", out var commonReader);
        commonReader.EnsureNoUnknownKeys();

        var appsNode = top.Node("apps") ?? throw top.Error("apps is required and must list at least one app");
        if (appsNode is not YamlSequenceNode appsSequence || appsSequence.Children.Count == 0)
        {
            throw top.Error("apps must be a list with at least one app");
        }
        top.EnsureNoUnknownKeys();

        var apps = new List<AppEntry>();
        for (var i = 0; i < appsSequence.Children.Count; i++)
        {
            if (appsSequence.Children[i] is not YamlMappingNode appNode)
            {
                throw new RunFileException($"{displayPath}: apps[{i}]: must be a mapping of settings (line {appsSequence.Children[i].Start.Line})");
            }
            apps.Add(ReadApp(appNode, i, displayPath));
        }

        return new RunFile(displayPath, fullPath, version, name, common, apps);
    }

    private static YamlMappingNode ReadRoot(string yaml, string displayPath)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new RunFileException($"{displayPath}: not valid YAML at line {e.Start.Line}, column {e.Start.Column}: {e.Message}", e);
        }
        if (stream.Documents.Count == 0)
        {
            throw new RunFileException($"{displayPath}: the file is empty");
        }
        if (stream.Documents.Count > 1)
        {
            throw new RunFileException($"{displayPath}: holds {stream.Documents.Count} YAML documents; a run file has exactly one");
        }
        return stream.Documents[0].RootNode as YamlMappingNode
            ?? throw new RunFileException($"{displayPath}: the top level must be a mapping with version, common and apps");
    }

    private static YamlMappingNode MappingOrEmpty(YamlMappingReader parent, string key, string displayPath)
    {
        var node = parent.Node(key);
        return node switch
        {
            null => new YamlMappingNode(),
            YamlMappingNode mapping => mapping,
            _ => throw new RunFileException($"{displayPath}: {key} must be a mapping of settings (line {node.Start.Line})"),
        };
    }

    private static AppEntry ReadApp(YamlMappingNode node, int index, string displayPath)
    {
        // The app id is read first so that every later error can name the app.
        var probe = new YamlMappingReader(node, displayPath, $"apps[{index}]");
        var appId = probe.String("appID");
        var label = appId is null ? $"apps[{index}]" : $"apps[{index}] ({appId})";
        if (appId is not null && appId.Trim().Length == 0)
        {
            throw probe.Error("appID must not be blank");
        }

        var shared = ReadShared(node, displayPath, label, out var reader);
        reader.String("appID");
        var appDirPath = reader.String("appDirPath");
        if (string.IsNullOrWhiteSpace(appDirPath))
        {
            throw reader.Error("appDirPath is required");
        }

        var app = new AppEntry
        {
            Index = index,
            Shared = shared,
            AppId = appId,
            AppDirPath = appDirPath,
            AppChannelAddress = reader.String("appChannelAddress"),
            AppPort = reader.Int("appPort"),
            DaprHttpPort = reader.Int("daprHTTPPort"),
            DaprGrpcPort = reader.Int("daprGRPCPort"),
            ProfilePort = reader.Int("profilePort"),
            Command = reader.StringList("command"),
            MetricsPort = reader.Int("metricsPort"),
            UnixDomainSocket = reader.String("unixDomainSocket"),
            DaprInternalGrpcPort = reader.Int("daprInternalGRPCPort"),
            ContainerImage = reader.String("containerImage"),
            ContainerImagePullPolicy = reader.String("containerImagePullPolicy"),
            CreateService = reader.Bool("createService"),
        };
        reader.EnsureNoUnknownKeys();

        if (app.ContainerImagePullPolicy is { } policy && !PullPolicies.Contains(policy, StringComparer.Ordinal))
        {
            throw reader.Error($"containerImagePullPolicy '{policy}' is not one of {string.Join(", ", PullPolicies)}");
        }
        if (app.Command is { Count: > 0 } command && string.IsNullOrWhiteSpace(command[0]))
        {
            throw reader.Error("command must start with the program to run");
        }
        return app;
    }

    private static SharedSettings ReadShared(YamlMappingNode node, string displayPath, string context, out YamlMappingReader reader)
    {
        reader = new YamlMappingReader(node, displayPath, context);
        var settings = new SharedSettings
        {
            ConfigFilePath = reader.String("configFilePath"),
            AppProtocol = reader.String("appProtocol"),
            ApiListenAddresses = reader.String("apiListenAddresses"),
            EnableProfiling = reader.Bool("enableProfiling"),
            LogLevel = reader.String("logLevel"),
            AppMaxConcurrency = reader.Int("appMaxConcurrency"),
            PlacementHostAddress = reader.String("placementHostAddress"),
            SchedulerHostAddress = reader.String("schedulerHostAddress"),
            ResourcesPath = reader.String("resourcesPath"),
            ResourcesPaths = reader.StringList("resourcesPaths"),
            AppSsl = reader.Bool("appSSL"),
            MaxBodySize = reader.String("maxBodySize"),
            ReadBufferSize = reader.String("readBufferSize"),
            EnableAppHealthCheck = reader.Bool("enableAppHealthCheck"),
            AppHealthCheckPath = reader.String("appHealthCheckPath"),
            AppHealthProbeInterval = reader.Int("appHealthProbeInterval"),
            AppHealthProbeTimeout = reader.Int("appHealthProbeTimeout"),
            AppHealthThreshold = reader.Int("appHealthThreshold"),
            EnableApiLogging = reader.Bool("enableApiLogging"),
            RuntimePath = reader.String("runtimePath"),
            Env = reader.StringMap("env"),
            DaprdLogDestination = ReadLogDestination(reader, "daprdLogDestination"),
            AppLogDestination = ReadLogDestination(reader, "appLogDestination"),
        };
        if (settings.AppProtocol is { } protocol && !AppProtocols.Contains(protocol.ToLowerInvariant()))
        {
            throw reader.Error($"appProtocol '{protocol}' is not one of {string.Join(", ", AppProtocols)}");
        }
        return settings;
    }

    private static LogDestination? ReadLogDestination(YamlMappingReader reader, string key) =>
        reader.String(key) switch
        {
            null => null,
            "file" => LogDestination.File,
            "console" => LogDestination.Console,
            "fileAndConsole" => LogDestination.FileAndConsole,
            var other => throw reader.Error($"{key} '{other}' is not one of file, console, fileAndConsole"),
        };
}
