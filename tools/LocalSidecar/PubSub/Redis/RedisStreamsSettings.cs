using LocalSidecar.Components;

namespace LocalSidecar.PubSub.Redis;

/// <summary>
/// pubsub.redis metadata with the defaults the component's CODE uses (the docs swap two of them): processingTimeout
/// 60 s, redeliverInterval 15 s, queueDepth 100, concurrency 10; bare numbers are milliseconds. Every name daprd knows is
/// accepted; names that only tune go-redis's pool are accepted and have no effect; names for deployments this sidecar
/// cannot reach (cluster, Sentinel, Entra ID, OIDC, client certificates) are refused with a clear error.
/// </summary>
public sealed record RedisStreamsSettings(
    string Host,
    int Port,
    string? Username,
    string? Password,
    int Database,
    bool EnableTls,
    bool InsecureSkipTlsVerify,
    TimeSpan? DialTimeout,
    TimeSpan? ReadTimeout,
    TimeSpan? WriteTimeout,
    TimeSpan ProcessingTimeout,
    TimeSpan RedeliverInterval,
    int QueueDepth,
    int Concurrency,
    long? MaxLenApprox,
    TimeSpan? StreamTtl)
{
    public static readonly TimeSpan DefaultProcessingTimeout = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan DefaultRedeliverInterval = TimeSpan.FromSeconds(15);
    public const int DefaultQueueDepth = 100;
    public const int DefaultConcurrency = 10;
    public const int DefaultPort = 6379;

    private static readonly TimeSpan Millisecond = TimeSpan.FromMilliseconds(1);

    private static readonly string[] SupportedConnectionNames =
    [
        "redisHost", "redisPort", "redisPassword", "redisUsername", "redisDB", "redisType", "enableTLS", "insecureSkipTLSVerify",
        "dialTimeout", "readTimeout", "writeTimeout",
    ];

    /// <summary>go-redis client tuning; StackExchange.Redis manages its own single connection, so these change nothing.</summary>
    private static readonly string[] AcceptedWithoutEffect =
    [
        "redisMaxRetries", "redisMinRetryInterval", "redisMaxRetryInterval", "poolSize", "poolTimeout", "minIdleConns",
        "maxConnAge", "idleTimeout", "idleCheckFrequency",
    ];

    private static readonly string[] Unsupported =
    [
        "sentinelUsername", "sentinelPassword", "failover", "sentinelMasterName", "clientCert", "clientKey", "useEntraID", "useAzureAD",
        "useOIDC", "oidcTokenEndpoint", "oidcClientID", "oidcClientAssertionCert", "oidcClientAssertionKey", "oidcResource",
        "oidcAudience", "oidcScopes", "oidcKid", "oidcCACert",
    ];

    private static readonly string[] PubSubNames =
    [
        "consumerID", "processingTimeout", "redeliverInterval", "queueDepth", "concurrency", "maxLenApprox", "streamTTL",
    ];

    public bool RedeliveryEnabled => ProcessingTimeout > TimeSpan.Zero && RedeliverInterval > TimeSpan.Zero;

    public static RedisStreamsSettings Parse(ComponentDefinition definition)
    {
        var metadata = definition.Metadata;
        foreach (var name in metadata.All.Keys)
        {
            if (Unsupported.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                throw metadata.Invalid(name, "is not supported by the local sidecar, which connects to one plain Redis node");
            }

            if (!SupportedConnectionNames.Concat(AcceptedWithoutEffect).Concat(PubSubNames).Concat(TopicAccessPolicy.MetadataNames)
                    .Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                throw metadata.Invalid(name, "is not a pubsub.redis metadata field");
            }
        }

        var redisType = metadata.Get("redisType");
        if (redisType is not null && !string.Equals(redisType, "node", StringComparison.OrdinalIgnoreCase))
        {
            throw metadata.Invalid("redisType", $"'{redisType}' is not supported by the local sidecar (only 'node')");
        }

        var (host, port) = HostAndPort(metadata);
        var queueDepth = metadata.GetInt("queueDepth", DefaultQueueDepth);
        var concurrency = metadata.GetInt("concurrency", DefaultConcurrency);
        if (queueDepth < 1)
        {
            throw metadata.Invalid("queueDepth", "must be at least 1");
        }

        if (concurrency < 1)
        {
            throw metadata.Invalid("concurrency", "must be at least 1");
        }

        long? maxLen = metadata.Get("maxLenApprox") is { } rawMaxLen
            ? long.TryParse(rawMaxLen, out var parsed) ? parsed : throw metadata.Invalid("maxLenApprox", $"must be an integer, got '{rawMaxLen}'")
            : null;

        var database = metadata.GetInt("redisDB", 0);
        return new RedisStreamsSettings(
            host,
            port,
            metadata.Get("redisUsername"),
            metadata.Get("redisPassword"),
            database >= 0 ? database : throw metadata.Invalid("redisDB", "must not be negative"),
            metadata.GetBool("enableTLS"),
            metadata.GetBool("insecureSkipTLSVerify"),
            OptionalDuration(metadata, "dialTimeout"),
            OptionalDuration(metadata, "readTimeout"),
            OptionalDuration(metadata, "writeTimeout"),
            NonNegative(metadata, "processingTimeout", metadata.GetDuration("processingTimeout", DefaultProcessingTimeout, Millisecond)),
            NonNegative(metadata, "redeliverInterval", metadata.GetDuration("redeliverInterval", DefaultRedeliverInterval, Millisecond)),
            queueDepth,
            concurrency,
            maxLen is > 0 ? maxLen : null,
            OptionalDuration(metadata, "streamTTL") is { } ttl && ttl > TimeSpan.Zero ? ttl : null);
    }

    private static (string Host, int Port) HostAndPort(ComponentMetadata metadata)
    {
        var raw = metadata.Required("redisHost");
        var explicitPort = metadata.Get("redisPort") is null ? (int?)null : metadata.GetInt("redisPort", DefaultPort);
        var colon = raw.LastIndexOf(':');
        if (colon > 0 && !raw.EndsWith(']'))
        {
            if (!int.TryParse(raw[(colon + 1)..], out var port))
            {
                throw metadata.Invalid("redisHost", $"must be host or host:port, got '{raw}'");
            }

            return (raw[..colon], explicitPort ?? port);
        }

        return (raw, explicitPort ?? DefaultPort);
    }

    private static TimeSpan? OptionalDuration(ComponentMetadata metadata, string name)
        => metadata.Get(name) is null ? null : metadata.GetDuration(name, TimeSpan.Zero, Millisecond);

    private static TimeSpan NonNegative(ComponentMetadata metadata, string name, TimeSpan value)
        => value >= TimeSpan.Zero ? value : throw metadata.Invalid(name, "must not be negative");
}
