using Runner.RunFiles;

namespace Runner.Planning;

/// <summary>
/// Applies the Dapr CLI's rules to a parsed run file: per-app values win over common ones,
/// relative paths are resolved (common and appDirPath against the run file, the rest against
/// appDirPath), app-local <c>.dapr/resources</c> and <c>.dapr/config.yaml</c> are picked up, and
/// missing Dapr ports are allocated.
/// </summary>
public sealed class RunPlanner(IPortAllocator ports)
{
    private const string DaprDirName = ".dapr";

    public IReadOnlyList<AppLaunchPlan> Plan(RunFile file)
    {
        var common = ResolveSharedPaths(file.Common, file.Directory, file.DisplayPath, "common");
        var drafts = file.Apps.Select(app => Draft(file, common, app)).ToList();

        var duplicateId = drafts.GroupBy(d => d.Plan.AppId).FirstOrDefault(g => g.Count() > 1);
        if (duplicateId is not null)
        {
            throw new RunFileException(
                $"{file.DisplayPath}: appID '{duplicateId.Key}' is used by {string.Join(" and ", duplicateId.Select(d => d.Entry.Label))} (an app without appID takes the name of its appDirPath)");
        }

        var configured = CheckConfiguredPorts(file, drafts);
        return drafts.Select(d => AllocateMissingPorts(d.Plan, configured)).ToList();
    }

    private sealed record DraftPlan(AppEntry Entry, AppLaunchPlan Plan, IReadOnlyList<(string Key, int Port, bool IsDaprPort)> ConfiguredPorts);

    private static DraftPlan Draft(RunFile file, SharedSettings common, AppEntry entry)
    {
        string Where(string key) => $"{file.DisplayPath}: {entry.Label}: {key}";

        var appDir = ResolvePath(entry.AppDirPath!, file.Directory);
        if (!Directory.Exists(appDir))
        {
            throw new RunFileException($"{Where("appDirPath")} '{appDir}' is not an existing folder");
        }
        var own = ResolveSharedPaths(entry.Shared, appDir, file.DisplayPath, entry.Label);

        var protocol = (own.AppProtocol ?? common.AppProtocol ?? "http").ToLowerInvariant();
        var profiling = own.EnableProfiling ?? common.EnableProfiling ?? false;

        var plan = new AppLaunchPlan
        {
            AppId = entry.AppId ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(appDir)),
            AppDirPath = appDir,
            Command = ResolveCommand(entry.Command, appDir),
            AppChannelAddress = entry.AppChannelAddress ?? "",
            AppProtocol = protocol,
            AppSsl = own.AppSsl ?? common.AppSsl ?? false,
            AppPort = Positive(entry.AppPort),
            // Placeholders until AllocateMissingPorts; zero never reaches a process.
            DaprHttpPort = Positive(entry.DaprHttpPort) ?? 0,
            DaprGrpcPort = Positive(entry.DaprGrpcPort) ?? 0,
            MetricsPort = Positive(entry.MetricsPort) ?? 0,
            ProfilePort = Positive(entry.ProfilePort),
            DaprInternalGrpcPort = Positive(entry.DaprInternalGrpcPort),
            UnixDomainSocket = entry.UnixDomainSocket,
            ConfigFilePath = ChooseConfigFile(own, common, appDir),
            ResourcesPaths = ChooseResourcesPaths(own, common, appDir),
            ApiListenAddresses = own.ApiListenAddresses ?? common.ApiListenAddresses,
            EnableProfiling = profiling,
            LogLevel = own.LogLevel ?? common.LogLevel,
            AppMaxConcurrency = Positive(own.AppMaxConcurrency ?? common.AppMaxConcurrency),
            PlacementHostAddress = own.PlacementHostAddress ?? common.PlacementHostAddress,
            SchedulerHostAddress = own.SchedulerHostAddress ?? common.SchedulerHostAddress,
            MaxBodySize = own.MaxBodySize ?? common.MaxBodySize,
            ReadBufferSize = own.ReadBufferSize ?? common.ReadBufferSize,
            EnableAppHealthCheck = own.EnableAppHealthCheck ?? common.EnableAppHealthCheck ?? false,
            AppHealthCheckPath = own.AppHealthCheckPath ?? common.AppHealthCheckPath,
            AppHealthProbeInterval = Positive(own.AppHealthProbeInterval ?? common.AppHealthProbeInterval),
            AppHealthProbeTimeout = Positive(own.AppHealthProbeTimeout ?? common.AppHealthProbeTimeout),
            AppHealthThreshold = Positive(own.AppHealthThreshold ?? common.AppHealthThreshold),
            EnableApiLogging = own.EnableApiLogging ?? common.EnableApiLogging ?? false,
            RuntimePath = own.RuntimePath ?? common.RuntimePath,
            Env = MergeEnv(common.Env, own.Env),
            AppLogDestination = own.AppLogDestination ?? common.AppLogDestination ?? LogDestination.FileAndConsole,
            DaprdLogDestination = own.DaprdLogDestination ?? common.DaprdLogDestination ?? LogDestination.File,
        };

        var configuredPorts = new List<(string, int, bool)>();
        void Note(string key, int? port, bool isDaprPort)
        {
            if (port is { } p)
            {
                configuredPorts.Add((key, p, isDaprPort));
            }
        }
        Note("appPort", plan.AppPort, false);
        Note("daprHTTPPort", Positive(entry.DaprHttpPort), true);
        Note("daprGRPCPort", Positive(entry.DaprGrpcPort), true);
        Note("metricsPort", Positive(entry.MetricsPort), true);
        Note("profilePort", plan.ProfilePort, true);
        Note("daprInternalGRPCPort", plan.DaprInternalGrpcPort, true);
        foreach (var (key, port, _) in configuredPorts)
        {
            if (port > 65535)
            {
                throw new RunFileException($"{Where(key)} {port} is not a TCP port (1-65535)");
            }
        }
        return new DraftPlan(entry, plan, configuredPorts);
    }

    private HashSet<int> CheckConfiguredPorts(RunFile file, IReadOnlyList<DraftPlan> drafts)
    {
        var owners = new Dictionary<int, string>();
        foreach (var draft in drafts)
        {
            foreach (var (key, port, isDaprPort) in draft.ConfiguredPorts)
            {
                var where = $"{file.DisplayPath}: {draft.Entry.Label}: {key}";
                if (owners.TryGetValue(port, out var owner))
                {
                    throw new RunFileException($"{where} {port} is also used by {owner}");
                }
                owners[port] = $"{draft.Entry.Label} {key}";
                // Only the sidecar's ports are checked, like the CLI: the app's port may belong to an app started by hand.
                if (isDaprPort && !ports.IsFree(port))
                {
                    throw new RunFileException($"{where} {port} is already in use by another process");
                }
            }
        }
        return [.. owners.Keys];
    }

    private AppLaunchPlan AllocateMissingPorts(AppLaunchPlan plan, HashSet<int> taken)
    {
        int Next()
        {
            while (true)
            {
                var port = ports.AllocateFree();
                if (taken.Add(port))
                {
                    return port;
                }
            }
        }

        // The order is fixed so that a predictable allocator gives predictable plans.
        return plan with
        {
            DaprHttpPort = plan.DaprHttpPort > 0 ? plan.DaprHttpPort : Next(),
            DaprGrpcPort = plan.DaprGrpcPort > 0 ? plan.DaprGrpcPort : Next(),
            MetricsPort = plan.MetricsPort > 0 ? plan.MetricsPort : Next(),
            ProfilePort = plan.ProfilePort ?? (plan.EnableProfiling ? Next() : null),
        };
    }

    private static SharedSettings ResolveSharedPaths(SharedSettings settings, string baseDir, string file, string context)
    {
        string? Resolve(string key, string? path)
        {
            if (string.IsNullOrWhiteSpace(path))
            {
                return null;
            }
            var full = ResolvePath(path, baseDir);
            if (!File.Exists(full) && !Directory.Exists(full))
            {
                throw new RunFileException($"{file}: {context}: {key} '{full}' does not exist");
            }
            return full;
        }

        return settings with
        {
            ConfigFilePath = Resolve("configFilePath", settings.ConfigFilePath),
            ResourcesPath = Resolve("resourcesPath", settings.ResourcesPath),
            ResourcesPaths = settings.ResourcesPaths?.Select((p, i) => Resolve($"resourcesPaths[{i}]", p)!).Where(p => p is not null).ToList(),
            RuntimePath = Resolve("runtimePath", settings.RuntimePath),
        };
    }

    /// <summary>Absolute paths stay; <c>~</c> means the home folder; anything else is relative to <paramref name="baseDir"/>.</summary>
    public static string ResolvePath(string path, string baseDir)
    {
        if (path == "~" || path.StartsWith("~/", StringComparison.Ordinal))
        {
            path = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path.TrimStart('~').TrimStart('/'));
        }
        return Path.GetFullPath(Path.IsPathRooted(path) ? path : Path.Combine(baseDir, path));
    }

    private static IReadOnlyList<string> ResolveCommand(IReadOnlyList<string>? command, string appDir)
    {
        if (command is not { Count: > 0 })
        {
            return [];
        }
        // A program named with a folder (./run.sh, bin/app) is meant relative to appDirPath, where it runs;
        // a bare name (dotnet, npm) is looked up on PATH.
        var program = command[0];
        if (!Path.IsPathRooted(program) && program.Contains('/'))
        {
            program = Path.GetFullPath(Path.Combine(appDir, program));
        }
        return [program, .. command.Skip(1)];
    }

    private static string? ChooseConfigFile(SharedSettings own, SharedSettings common, string appDir)
    {
        if (own.ConfigFilePath is not null)
        {
            return own.ConfigFilePath;
        }
        var local = Path.Combine(appDir, DaprDirName, "config.yaml");
        return File.Exists(local) ? local : common.ConfigFilePath;
    }

    private static IReadOnlyList<string> ChooseResourcesPaths(SharedSettings own, SharedSettings common, string appDir)
    {
        var ownPaths = Combine(own);
        if (ownPaths.Count > 0)
        {
            return ownPaths;
        }
        var local = Path.Combine(appDir, DaprDirName, "resources");
        return Directory.Exists(local) ? [local] : Combine(common);

        // resourcesPath is the deprecated single form; the CLI appends it to the list.
        static IReadOnlyList<string> Combine(SharedSettings s) =>
            [.. s.ResourcesPaths ?? [], .. s.ResourcesPath is null ? Array.Empty<string>() : [s.ResourcesPath]];
    }

    private static IReadOnlyList<KeyValuePair<string, string>> MergeEnv(
        IReadOnlyList<KeyValuePair<string, string>>? common,
        IReadOnlyList<KeyValuePair<string, string>>? own)
    {
        var merged = new List<KeyValuePair<string, string>>();
        var ownNames = new HashSet<string>((own ?? []).Select(e => e.Key), StringComparer.Ordinal);
        merged.AddRange((common ?? []).Where(e => !ownNames.Contains(e.Key)));
        merged.AddRange(own ?? []);
        return merged;
    }

    private static int? Positive(int? value) => value is > 0 ? value : null;
}
