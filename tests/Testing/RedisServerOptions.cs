namespace Dapr.Testing;

public sealed record RedisServerOptions
{
    /// <summary>Fixed port; null picks a free one (and retries with another if it is taken meanwhile).</summary>
    public int? Port { get; init; }

    /// <summary>
    /// A folder that outlives the server (its --dir); DisposeAsync leaves it in place. Null (the default)
    /// uses a fresh temp folder deleted on dispose.
    /// </summary>
    public string? PersistentDataDirectory { get; init; }

    /// <summary>Keep an append-only file so data survives restarts; null means "only with a persistent directory".</summary>
    public bool? AppendOnly { get; init; }

    /// <summary>Path of redis-server; null finds it on PATH.</summary>
    public string? ExecutablePath { get; init; }

    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a SIGTERM shutdown may take before the server is killed instead.</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
