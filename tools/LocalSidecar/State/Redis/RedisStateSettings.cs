using System.Globalization;
using LocalSidecar.Components;

namespace LocalSidecar.State.Redis;

/// <summary>
/// The metadata of a <c>state.redis</c> component, read with the names and rules of components-contrib
/// <c>common/component/redis/settings.go</c> and <c>state/redis/metadata.yaml</c>.
/// </summary>
public sealed record RedisStateSettings(
    string Host,
    int Port,
    string? Username,
    string? Password,
    int Database,
    bool EnableTls,
    bool InsecureSkipTlsVerify,
    string? ClientCertPem,
    string? ClientKeyPem,
    TimeSpan? DialTimeout,
    TimeSpan? CommandTimeout,
    int? DefaultTtlInSeconds)
{
    private const int DefaultRedisPort = 6379;
    private static readonly TimeSpan Milliseconds = TimeSpan.FromMilliseconds(1);

    /// <summary>Names that change what the local store does.</summary>
    private static readonly string[] UsedNames =
    [
        "redisHost", "redisPort", "redisPassword", "redisUsername", "redisDB", "redisType",
        "enableTLS", "insecureSkipTLSVerify", "clientCert", "clientKey",
        "dialTimeout", "readTimeout", "writeTimeout",
        "ttlInSeconds", "queryIndexes",
        "failover", "useEntraID", "useAzureAD", "useOIDC",
    ];

    /// <summary>
    /// Names that daprd accepts but that mean nothing to a single multiplexed StackExchange.Redis connection to one
    /// node: go-redis pool sizing and recycling, go-redis command retries, Sentinel credentials (only read when
    /// <c>failover</c> is on, which is rejected below), OIDC settings (only read when <c>useOIDC</c> is on, rejected
    /// below), and the two pub/sub settings that state/redis/metadata.yaml lists although state ignores them.
    /// Their values are still checked for the type daprd would parse them as.
    /// </summary>
    private static readonly (string Name, Kind Kind)[] IgnoredNames =
    [
        ("poolSize", Kind.Integer), ("minIdleConns", Kind.Integer), ("poolTimeout", Kind.Duration),
        ("maxConnAge", Kind.Duration), ("idleTimeout", Kind.Duration), ("idleCheckFrequency", Kind.Duration),
        ("redisMaxRetries", Kind.Integer), ("redisMinRetryInterval", Kind.Duration), ("redisMaxRetryInterval", Kind.Duration),
        ("maxRetries", Kind.Integer), ("maxRetryBackoff", Kind.Duration),
        ("sentinelMasterName", Kind.Text), ("sentinelUsername", Kind.Text), ("sentinelPassword", Kind.Text),
        ("oidcTokenEndpoint", Kind.Text), ("oidcClientID", Kind.Text), ("oidcClientAssertionCert", Kind.Text),
        ("oidcClientAssertionKey", Kind.Text), ("oidcResource", Kind.Text), ("oidcAudience", Kind.Text),
        ("oidcScopes", Kind.Text), ("oidcKid", Kind.Text), ("oidcCACert", Kind.Text),
        ("redeliverInterval", Kind.Duration), ("processingTimeout", Kind.Duration),
    ];

    private enum Kind { Text, Integer, Duration }

    public static IReadOnlyCollection<string> KnownNames { get; } = [.. UsedNames, .. IgnoredNames.Select(n => n.Name)];

    public string EndPoint => Host.Contains(':') ? $"[{Host}]:{Port}" : $"{Host}:{Port}";

    public static RedisStateSettings Parse(ComponentDefinition definition)
    {
        if (definition.Version is not ("" or "v1"))
        {
            throw new ResourceException(definition.SourceFile,
                $"component '{definition.Name}': {definition.Type} has no version '{definition.Version}' (only v1 exists)");
        }

        DaprStateMetadata.RejectUnknownNames(definition, KnownNames);
        var md = definition.Metadata;

        foreach (var (name, kind) in IgnoredNames)
        {
            // Parsed only so that a value daprd would refuse is refused here too.
            if (kind == Kind.Integer)
            {
                md.GetInt(name, 0);
            }
            else if (kind == Kind.Duration)
            {
                md.GetDuration(name, TimeSpan.Zero, Milliseconds);
            }
        }

        var redisType = md.Get("redisType")?.Trim().ToLowerInvariant();
        if (redisType is not (null or "node"))
        {
            throw md.Invalid("redisType", redisType == "cluster"
                ? "is 'cluster', which the local sidecar does not support: its transactions run as one Lua script, which Redis Cluster only allows when every key hashes to one slot"
                : $"must be 'node' or 'cluster', got '{md.Get("redisType")}'");
        }

        RejectEnabled(md, "failover", "Redis Sentinel failover");
        RejectEnabled(md, "useEntraID", "Azure Entra ID authentication");
        RejectEnabled(md, "useAzureAD", "Azure Entra ID authentication");
        RejectEnabled(md, "useOIDC", "OIDC authentication");

        if (md.Get("queryIndexes") is not null)
        {
            throw md.Invalid("queryIndexes",
                "needs the RediSearch and RedisJSON modules for the state query API, which the local sidecar does not offer for state.redis");
        }

        var (host, port) = ResolveHost(md);

        var enableTls = md.GetBool("enableTLS");
        if (!enableTls)
        {
            // daprd only reads these inside its TLS set-up, so without enableTLS they would do nothing.
            foreach (var name in (string[])["clientCert", "clientKey"])
            {
                if (md.Get(name) is not null)
                {
                    throw md.Invalid(name, "has no effect unless enableTLS is true");
                }
            }

            if (md.GetBool("insecureSkipTLSVerify"))
            {
                throw md.Invalid("insecureSkipTLSVerify", "has no effect unless enableTLS is true");
            }
        }

        var clientCert = md.Get("clientCert");
        var clientKey = md.Get("clientKey");
        if ((clientCert is null) != (clientKey is null))
        {
            // daprd only loads a client certificate when both halves are present and silently skips it otherwise.
            throw md.Invalid(clientCert is null ? "clientCert" : "clientKey", "must be set together with its counterpart (clientCert and clientKey)");
        }

        var readTimeout = md.GetDuration("readTimeout", TimeSpan.Zero, Milliseconds);
        var writeTimeout = md.GetDuration("writeTimeout", TimeSpan.Zero, Milliseconds);
        var commandTimeout = readTimeout > writeTimeout ? readTimeout : writeTimeout;
        var dialTimeout = md.GetDuration("dialTimeout", TimeSpan.Zero, Milliseconds);

        int? defaultTtl = md.Get("ttlInSeconds") is null ? null : md.GetInt("ttlInSeconds", 0);

        return new RedisStateSettings(
            host,
            port,
            md.Get("redisUsername"),
            md.Get("redisPassword"),
            md.GetInt("redisDB", 0),
            enableTls,
            md.GetBool("insecureSkipTLSVerify"),
            clientCert,
            clientKey,
            dialTimeout > TimeSpan.Zero ? dialTimeout : null,
            commandTimeout > TimeSpan.Zero ? commandTimeout : null,
            defaultTtl);
    }

    private static void RejectEnabled(ComponentMetadata md, string name, string what)
    {
        if (md.GetBool(name))
        {
            throw md.Invalid(name, $"turns on {what}, which the local sidecar does not support");
        }
    }

    /// <summary>
    /// <c>redisHost</c> may carry the port; <c>redisPort</c> fills it in when it does not, and a conflict between the two
    /// is an error, as in components-contrib <c>resolveHost</c>.
    /// </summary>
    private static (string Host, int Port) ResolveHost(ComponentMetadata md)
    {
        var raw = md.Required("redisHost").Trim();
        if (raw.Contains(','))
        {
            throw md.Invalid("redisHost", $"lists several addresses ('{raw}'), which only cluster and Sentinel modes use; the local sidecar connects to one node");
        }

        int? separatePort = null;
        if (md.Get("redisPort") is { } portText)
        {
            separatePort = ushort.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p > 0
                ? p
                : throw md.Invalid("redisPort", $"must be a port number from 1 to 65535, got '{portText}'");
        }

        var (host, hostPort) = SplitHostPort(raw, md);
        if (hostPort is { } inHost && separatePort is { } separate && inHost != separate)
        {
            throw md.Invalid("redisPort",
                $"is {separate} but redisHost '{raw}' already contains port {inHost}; remove one of them");
        }

        return (host, hostPort ?? separatePort ?? DefaultRedisPort);
    }

    private static (string Host, int? Port) SplitHostPort(string address, ComponentMetadata md)
    {
        string host;
        string? port;
        if (address.StartsWith('['))
        {
            var close = address.IndexOf(']');
            if (close < 0)
            {
                throw md.Invalid("redisHost", $"has an unclosed '[' in '{address}'");
            }

            host = address[1..close];
            var rest = address[(close + 1)..];
            port = rest.Length == 0 ? null : rest.StartsWith(':') ? rest[1..] : throw md.Invalid("redisHost", $"is not 'host:port': '{address}'");
        }
        else if (address.Count(c => c == ':') == 1)
        {
            var colon = address.IndexOf(':');
            host = address[..colon];
            port = address[(colon + 1)..];
        }
        else
        {
            // No colon, or a bare IPv6 address: the port comes from redisPort or the default.
            host = address;
            port = null;
        }

        if (host.Length == 0)
        {
            throw md.Invalid("redisHost", $"has no host name in '{address}'");
        }

        if (port is null)
        {
            return (host, null);
        }

        return ushort.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0
            ? (host, value)
            : throw md.Invalid("redisHost", $"has an invalid port '{port}' in '{address}'");
    }
}
