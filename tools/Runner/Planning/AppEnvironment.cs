using System.Globalization;

namespace Runner.Planning;

/// <summary>
/// The variables the Dapr CLI adds on top of its own environment when it starts an app, in the
/// CLI's order: the Dapr values, then APP_PROTOCOL, then the run file's env (so the run file can
/// override anything). Numbers that are not set (zero or less) are left out, as the CLI does.
/// </summary>
public static class AppEnvironment
{
    public static IReadOnlyList<KeyValuePair<string, string>> Additions(AppLaunchPlan plan)
    {
        var entries = new List<KeyValuePair<string, string>>();
        void Add(string name, string value) => entries.Add(new(name, value));
        void AddPort(string name, int? port)
        {
            if (port is > 0)
            {
                Add(name, port.Value.ToString(CultureInfo.InvariantCulture));
            }
        }

        Add("APP_ID", plan.AppId);
        // A string, so the CLI passes it even when empty.
        Add("APP_CHANNEL_ADDRESS", plan.AppChannelAddress);
        AddPort("APP_PORT", plan.AppPort);
        AddPort("DAPR_HTTP_PORT", plan.DaprHttpPort);
        AddPort("DAPR_GRPC_PORT", plan.DaprGrpcPort);
        AddPort("DAPR_METRICS_PORT", plan.MetricsPort);
        Add("APP_PROTOCOL", plan.EffectiveAppProtocol);
        entries.AddRange(plan.Env);
        return entries;
    }

    /// <summary>What the app finally sees: the inherited environment with the additions applied in order (last one wins).</summary>
    public static IReadOnlyDictionary<string, string> For(AppLaunchPlan plan, IEnumerable<KeyValuePair<string, string>> inherited)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in inherited.Concat(Additions(plan)))
        {
            result[name] = value;
        }
        return result;
    }

    public static IEnumerable<KeyValuePair<string, string>> CurrentProcess() =>
        Environment.GetEnvironmentVariables()
            .Cast<System.Collections.DictionaryEntry>()
            .Select(e => new KeyValuePair<string, string>((string)e.Key, (string?)e.Value ?? ""));
}
