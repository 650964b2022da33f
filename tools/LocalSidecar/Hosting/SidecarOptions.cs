using System.Globalization;

namespace LocalSidecar.Hosting;

/// <summary>
/// One sidecar identity. Built from daprd's own command-line flags so that the Dapr CLI's arguments,
/// and the project's runner, start the local sidecar exactly as they would start daprd.
/// </summary>
public sealed record SidecarOptions
{
    public required string AppId { get; init; }
    public int? AppPort { get; init; }
    public string AppChannelAddress { get; init; } = "127.0.0.1";
    public string AppProtocol { get; init; } = "http";
    public int HttpPort { get; init; } = 3500;
    public int GrpcPort { get; init; } = 50001;
    public IReadOnlyList<string> ResourcesPaths { get; init; } = [];
    public string? ConfigFile { get; init; }
    public string LogLevel { get; init; } = "info";
    public bool EnableApiLogging { get; init; }

    /// <summary>daprd flags that were given but mean nothing to the local sidecar; logged at start-up.</summary>
    public IReadOnlyList<string> IgnoredFlags { get; init; } = [];

    /// <summary>Token callers must present (<c>DAPR_API_TOKEN</c>); null means the API is open, as in daprd.</summary>
    public string? ApiToken { get; init; }

    /// <summary>Token the sidecar presents to the app (<c>APP_API_TOKEN</c>).</summary>
    public string? AppApiToken { get; init; }

    public string? Namespace { get; init; }

    /// <summary>Where sidecars on this machine announce themselves so service invocation can find them (daprd uses mDNS).</summary>
    public string NameResolutionDirectory { get; init; } = DefaultNameResolutionDirectory();

    public Uri? AppBaseAddress => AppPort is { } port ? new Uri($"http://{AppChannelAddress}:{port.ToString(CultureInfo.InvariantCulture)}") : null;

    public static string DefaultNameResolutionDirectory()
        => Environment.GetEnvironmentVariable("LOCAL_DAPR_NAME_RESOLUTION_DIR") is { Length: > 0 } dir
            ? dir
            : Path.Combine(Path.GetTempPath(), "local-daprd", "apps");

    /// <summary>Parses daprd flags (<c>--app-id x</c> or <c>--app-id=x</c>). Unknown flags are errors, never ignored.</summary>
    public static SidecarOptions Parse(IReadOnlyList<string> args, Func<string, string?> environment)
    {
        string? appId = null;
        int? appPort = null;
        var options = new SidecarOptions { AppId = "" };
        var resources = new List<string>();
        var ignored = new List<string>();

        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string flag;
            string? inline = null;
            var eq = arg.IndexOf('=');
            if (arg.StartsWith("--", StringComparison.Ordinal) && eq > 0)
            {
                flag = arg[..eq];
                inline = arg[(eq + 1)..];
            }
            else
            {
                flag = arg;
            }

            string Value()
            {
                if (inline is not null)
                {
                    return inline;
                }

                if (i + 1 >= args.Count)
                {
                    throw new ArgumentException($"flag {flag} needs a value");
                }

                return args[++i];
            }

            int Port() => int.TryParse(Value(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) && p is > 0 and < 65536
                ? p
                : throw new ArgumentException($"flag {flag} needs a port number between 1 and 65535");

            switch (flag)
            {
                case "--app-id": appId = Value(); break;
                case "--app-port": appPort = Port(); break;
                case "--app-channel-address": options = options with { AppChannelAddress = Value() }; break;
                case "--app-protocol":
                    var protocol = Value();
                    if (protocol != "http")
                    {
                        throw new ArgumentException($"--app-protocol {protocol} is not supported by the local sidecar (supported: http)");
                    }

                    break;
                case "--dapr-http-port": options = options with { HttpPort = Port() }; break;
                case "--dapr-grpc-port": options = options with { GrpcPort = Port() }; break;
                case "--resources-path":
                case "--components-path": resources.Add(Value()); break;
                case "--config": options = options with { ConfigFile = Value() }; break;
                case "--log-level": options = options with { LogLevel = Value() }; break;
                case "--enable-api-logging": options = options with { EnableApiLogging = inline is null || bool.Parse(inline) }; break;
                // Accepted because the Dapr CLI and the runner pass them; they have no local meaning, and start-up lists them.
                case "--metrics-port":
                case "--dapr-internal-grpc-port":
                case "--placement-host-address":
                case "--scheduler-host-address":
                case "--app-max-concurrency":
                case "--dapr-http-max-request-size":
                case "--dapr-http-read-buffer-size":
                case "--max-body-size":
                case "--read-buffer-size":
                case "--dapr-listen-addresses":
                case "--app-health-check-path":
                case "--app-health-probe-interval":
                case "--app-health-probe-timeout":
                case "--app-health-threshold":
                case "--profile-port":
                case "--unix-domain-socket":
                    ignored.Add($"{flag} {Value()}");
                    break;
                case "--enable-metrics":
                case "--enable-app-health-check":
                case "--enable-profiling":
                    ignored.Add(inline is null ? flag : $"{flag}={inline}");
                    break;
                default:
                    throw new ArgumentException($"unknown flag {flag}");
            }
        }

        if (string.IsNullOrWhiteSpace(appId))
        {
            throw new ArgumentException("--app-id is required");
        }

        return options with
        {
            AppId = appId,
            AppPort = appPort,
            IgnoredFlags = ignored,
            ResourcesPaths = resources.Count > 0 ? resources : [DefaultResourcesPath()],
            ApiToken = NullIfEmpty(environment("DAPR_API_TOKEN")),
            AppApiToken = NullIfEmpty(environment("APP_API_TOKEN")),
            Namespace = NullIfEmpty(environment("NAMESPACE")),
        };
    }

    private static string DefaultResourcesPath()
        => Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dapr", "components");

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
