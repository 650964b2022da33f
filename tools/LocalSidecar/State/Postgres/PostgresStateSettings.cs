using System.Globalization;
using System.Text.RegularExpressions;
using LocalSidecar.Components;
using Npgsql;

namespace LocalSidecar.State.Postgres;

/// <summary>
/// The metadata of a <c>state.postgresql</c> v1 component, read with the names, aliases and defaults of
/// components-contrib <c>common/component/postgresql/v1/metadata.go</c> and <c>common/authentication/postgresql</c>.
/// </summary>
public sealed partial record PostgresStateSettings(
    string ConnectionString,
    string TableName,
    string MetadataTableName,
    TimeSpan Timeout,
    TimeSpan? CleanupInterval)
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(20);
    public static readonly TimeSpan DefaultCleanupInterval = TimeSpan.FromHours(1);
    private static readonly TimeSpan Seconds = TimeSpan.FromSeconds(1);

    private static readonly string[] ConnectionParts = ["host", "hostaddr", "port", "database", "user", "password", "sslRootCert"];

    private static readonly string[] UsedNames =
    [
        "connectionString", "url", .. ConnectionParts,
        "maxConns", "connectionMaxIdleTime", "queryExecMode",
        "tableName", "metadataTableName", "timeout", "timeoutInSeconds", "cleanupInterval", "cleanupIntervalInSeconds",
        "useAzureAD", "useAWSIAM",
    ];

    /// <summary>
    /// Cloud credentials that daprd only reads when <c>useAzureAD</c> or <c>useAWSIAM</c> is on; both are rejected below,
    /// so these never mean anything locally.
    /// </summary>
    private static readonly string[] CloudCredentialNames =
    [
        "azureTenantId", "azureClientId", "azureClientSecret", "azureCertificate", "azureCertificateFile",
        "azureCertificatePassword", "azureEnvironment",
        "awsRegion", "awsAccessKey", "awsSecretKey", "awsSessionToken", "awsIamRoleArn", "awsStsSessionName",
    ];

    /// <summary>
    /// pgx query execution modes. Npgsql always uses the extended protocol without server-side prepared statements
    /// unless asked, which already works behind PgBouncer, so the mode is checked but changes nothing locally.
    /// </summary>
    private static readonly string[] QueryExecModes = ["cache_statement", "cache_describe", "describe_exec", "exec", "simple_protocol"];

    public static IReadOnlyCollection<string> KnownNames { get; } = [.. UsedNames, .. CloudCredentialNames];

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_$]*(\\.[A-Za-z_][A-Za-z0-9_$]*)?$")]
    private static partial Regex TableNamePattern();

    public static PostgresStateSettings Parse(ComponentDefinition definition)
    {
        if (definition.Version == "v2")
        {
            throw new ResourceException(definition.SourceFile,
                $"component '{definition.Name}': state.postgresql version v2 is not supported by the local sidecar; only v1 is supported locally (v1 keeps values as queryable JSONB)");
        }

        if (definition.Version is not ("" or "v1"))
        {
            throw new ResourceException(definition.SourceFile,
                $"component '{definition.Name}': state.postgresql has no version '{definition.Version}'; only v1 is supported locally");
        }

        DaprStateMetadata.RejectUnknownNames(definition, KnownNames);
        var md = definition.Metadata;

        foreach (var flag in (string[])["useAzureAD", "useAWSIAM"])
        {
            if (md.GetBool(flag))
            {
                throw md.Invalid(flag, "asks for cloud authentication, which the local sidecar does not support; use a connection string with a password");
            }
        }

        if (md.Get("queryExecMode") is { } mode && !QueryExecModes.Contains(mode))
        {
            throw md.Invalid("queryExecMode", $"must be one of {string.Join(", ", QueryExecModes)}, got '{mode}'");
        }

        var timeout = md.GetDuration("timeout", DefaultTimeout, Seconds, "timeoutInSeconds");
        if (timeout < TimeSpan.FromSeconds(1))
        {
            throw md.Invalid("timeout", $"must be at least 1s, got '{md.Get("timeout", "timeoutInSeconds")}'");
        }

        // daprd treats "0" and any non-positive interval as "never clean up", and an empty value as the default.
        var cleanup = md.GetDuration("cleanupInterval", DefaultCleanupInterval, Seconds, "cleanupIntervalInSeconds");
        TimeSpan? cleanupInterval = cleanup > TimeSpan.Zero ? cleanup : null;

        var builder = BuildConnection(md, out var givenKeys);
        var maxConns = md.GetInt("maxConns", 0);
        if (maxConns > 1)
        {
            builder.MaxPoolSize = maxConns;
        }
        else if (!givenKeys.Contains("pool_max_conns"))
        {
            // pgxpool's default size.
            builder.MaxPoolSize = Math.Max(4, Environment.ProcessorCount);
        }

        var idle = md.GetDuration("connectionMaxIdleTime", TimeSpan.Zero, Seconds);
        if (idle > TimeSpan.Zero)
        {
            builder.ConnectionIdleLifetime = (int)Math.Ceiling(idle.TotalSeconds);
        }

        var timeoutSeconds = (int)Math.Ceiling(timeout.TotalSeconds);
        if (!givenKeys.Contains("connect_timeout"))
        {
            builder.Timeout = timeoutSeconds;
        }

        builder.CommandTimeout = timeoutSeconds;

        return new PostgresStateSettings(
            builder.ConnectionString,
            ValidTableName(md, "tableName", "state"),
            ValidTableName(md, "metadataTableName", "dapr_metadata"),
            timeout,
            cleanupInterval);
    }

    private static NpgsqlConnectionStringBuilder BuildConnection(ComponentMetadata md, out IReadOnlySet<string> givenKeys)
    {
        givenKeys = new HashSet<string>();
        var connectionString = md.Get("connectionString", "url");
        var parts = ConnectionParts.Where(p => md.Get(p) is not null).ToList();
        if (connectionString is not null)
        {
            if (parts.Count > 0)
            {
                throw md.Invalid(parts[0], "cannot be combined with connectionString; put every setting in one of the two forms");
            }

            return PgxConnectionString.Parse(connectionString, md, md.Get("connectionString") is null ? "url" : "connectionString", out givenKeys);
        }

        if (md.Get("host") is null && md.Get("hostaddr") is null)
        {
            throw md.Invalid("connectionString", "is required (or give the parts host, port, database, user and password)");
        }

        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = md.Get("hostaddr") ?? md.Get("host"),
        };
        if (md.Get("port") is { } port)
        {
            builder.Port = int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is > 0 and <= 65535
                ? p
                : throw md.Invalid("port", $"must be a port number, got '{port}'");
        }

        builder.Database = md.Get("database");
        builder.Username = md.Get("user");
        builder.Password = md.Get("password");
        if (md.Get("sslRootCert") is { } rootCert)
        {
            builder.RootCertificate = rootCert;
        }

        return builder;
    }

    /// <summary>
    /// daprd pastes table names into its SQL unquoted, so only plain identifiers, optionally schema-qualified, behave
    /// the same on both sides. Anything else is refused rather than quoted differently from daprd.
    /// </summary>
    private static string ValidTableName(ComponentMetadata md, string field, string defaultName)
    {
        var name = md.Get(field)?.Trim() ?? defaultName;
        return TableNamePattern().IsMatch(name)
            ? name
            : throw md.Invalid(field, $"must be a plain table name, optionally with a schema ('schema.table'), got '{name}'");
    }
}
