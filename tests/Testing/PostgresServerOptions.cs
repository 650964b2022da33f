namespace Dapr.Testing;

public sealed record PostgresServerOptions
{
    /// <summary>Fixed port; null picks a free one (and retries with another if it is taken meanwhile).</summary>
    public int? Port { get; init; }

    /// <summary>
    /// A data directory that outlives the server: initdb runs only when it is missing or empty, and
    /// DisposeAsync leaves it in place. Null (the default) uses a fresh temp folder deleted on dispose.
    /// When this process runs as root, the folder's parents must be traversable by the OS user below.
    /// </summary>
    public string? PersistentDataDirectory { get; init; }

    /// <summary>Folder holding initdb and postgres; null finds it (pg_config, /usr/lib/postgresql/*/bin, PATH).</summary>
    public string? BinDirectory { get; init; }

    /// <summary>Extra <c>-c name=value</c> settings, applied after (so overriding) the defaults.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();

    /// <summary>The OS user that runs PostgreSQL when this process is root (PostgreSQL refuses root).</summary>
    public string OsUser { get; init; } = "postgres";

    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a fast shutdown may take before the server is killed instead.</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
