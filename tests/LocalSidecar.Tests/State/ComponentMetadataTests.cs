using LocalSidecar.Components;
using LocalSidecar.State;
using LocalSidecar.State.Postgres;
using LocalSidecar.State.Redis;
using Npgsql;

namespace LocalSidecar.Tests.State;

/// <summary>How component files for state.redis and state.postgresql are read and refused; no server is needed.</summary>
public sealed class ComponentMetadataTests
{
    private static ComponentDefinition Redis(params (string Name, string Value)[] metadata)
        => Components.Define("state.redis", metadata.ToDictionary(m => m.Name, m => m.Value));

    private static ComponentDefinition Postgres(params (string Name, string Value)[] metadata)
        => Components.Define("state.postgresql", metadata.ToDictionary(m => m.Name, m => m.Value));

    private static ResourceException Refused(ComponentDefinition definition)
        => Assert.Throws<ResourceException>(() => StateStoreFactory.Create(definition, TimeProvider.System));

    [Fact]
    public void the_factory_lists_and_creates_both_stores()
    {
        Assert.Contains("state.redis", StateStoreFactory.SupportedTypes);
        Assert.Contains("state.postgresql", StateStoreFactory.SupportedTypes);
        Assert.IsType<RedisStateStore>(StateStoreFactory.Create(Redis(("redisHost", "localhost:6379")), TimeProvider.System));
        Assert.IsType<PostgresStateStore>(StateStoreFactory.Create(Postgres(("connectionString", "host=localhost user=postgres")), TimeProvider.System));
    }

    [Fact]
    public void an_unknown_redis_metadata_name_is_refused_naming_the_field_and_file()
    {
        var error = Refused(Redis(("redisHost", "localhost:6379"), ("redisHots", "x")));

        Assert.Equal(Components.File, error.File);
        Assert.Contains("'redisHots'", error.Problem);
    }

    [Fact]
    public void the_daprd_level_names_are_accepted_by_both_stores()
    {
        var shared = DaprStateMetadata.DaprdLevelNames.Select(n => (n, n == DaprStateMetadata.ActorStateStore ? "true" : "x")).ToArray();

        StateStoreFactory.Create(Redis([("redisHost", "localhost"), .. shared]), TimeProvider.System);
        StateStoreFactory.Create(Postgres([("connectionString", "host=localhost"), .. shared]), TimeProvider.System);
    }

    [Fact]
    public void redis_host_is_required()
        => Assert.Contains("'redisHost' is required", Refused(Redis(("redisPassword", "x"))).Problem);

    [Theory]
    [InlineData("cache.local", null, "cache.local:6379")]
    [InlineData("cache.local", "6380", "cache.local:6380")]
    [InlineData("cache.local:6381", null, "cache.local:6381")]
    [InlineData("cache.local:6381", "6381", "cache.local:6381")]
    [InlineData("[::1]:6390", null, "[::1]:6390")]
    public void redis_port_fills_in_a_host_without_one(string host, string? port, string endpoint)
    {
        var metadata = port is null ? Redis(("redisHost", host)) : Redis(("redisHost", host), ("redisPort", port));

        Assert.Equal(endpoint, RedisStateSettings.Parse(metadata).EndPoint);
    }

    [Fact]
    public void a_redis_port_that_contradicts_the_host_is_refused()
        => Assert.Contains("already contains port 6381", Refused(Redis(("redisHost", "cache:6381"), ("redisPort", "6380"))).Problem);

    [Theory]
    [InlineData("redisType", "cluster")]
    [InlineData("failover", "true")]
    [InlineData("useEntraID", "true")]
    [InlineData("queryIndexes", "[]")]
    [InlineData("poolSize", "many")]
    [InlineData("redisDB", "one")]
    [InlineData("clientCert", "-----BEGIN CERTIFICATE-----")]
    public void redis_settings_the_local_sidecar_cannot_honour_are_refused(string name, string value)
        => Assert.Contains($"'{name}'", Refused(Redis(("redisHost", "localhost"), (name, value))).Problem);

    [Fact]
    public void redis_settings_without_local_meaning_are_accepted()
    {
        var settings = RedisStateSettings.Parse(Redis(
            ("redisHost", "localhost"), ("poolSize", "20"), ("idleTimeout", "5m"), ("redisMaxRetries", "3"),
            ("redeliverInterval", "15000"), ("failover", "false"), ("sentinelMasterName", "mymaster"),
            ("redisDB", "2"), ("ttlInSeconds", "30"), ("readTimeout", "3s"), ("enableTLS", "false")));

        Assert.Equal(2, settings.Database);
        Assert.Equal(30, settings.DefaultTtlInSeconds);
        Assert.Equal(TimeSpan.FromSeconds(3), settings.CommandTimeout);
    }

    [Fact]
    public void postgresql_v2_is_refused_because_only_v1_is_supported_locally()
    {
        var error = Assert.Throws<ResourceException>(() => StateStoreFactory.Create(
            Components.Define("state.postgresql", new Dictionary<string, string> { ["connectionString"] = "host=localhost" }, version: "v2"),
            TimeProvider.System));

        Assert.Contains("only v1 is supported locally", error.Problem);
    }

    [Fact]
    public void an_unknown_postgresql_metadata_name_is_refused_naming_the_field()
        => Assert.Contains("'tablename_prefix'", Refused(Postgres(("connectionString", "host=localhost"), ("tablename_prefix", "x"))).Problem);

    [Fact]
    public void postgresql_defaults_match_daprs()
    {
        var settings = PostgresStateSettings.Parse(Postgres(("connectionString", "host=db user=dapr password=secret port=5433 database=orders")));
        var connection = new NpgsqlConnectionStringBuilder(settings.ConnectionString);

        Assert.Equal("state", settings.TableName);
        Assert.Equal("dapr_metadata", settings.MetadataTableName);
        Assert.Equal(TimeSpan.FromSeconds(20), settings.Timeout);
        Assert.Equal(TimeSpan.FromHours(1), settings.CleanupInterval);
        Assert.Equal(("db", 5433, "orders", "dapr", "secret"), (connection.Host, connection.Port, connection.Database, connection.Username, connection.Password));
        Assert.Equal(Math.Max(4, Environment.ProcessorCount), connection.MaxPoolSize);
        Assert.Equal(20, connection.CommandTimeout);
    }

    [Theory]
    [InlineData("timeout", "30", 30)]
    [InlineData("timeoutInSeconds", "45", 45)]
    [InlineData("timeout", "1m", 60)]
    public void a_bare_number_for_the_timeout_is_seconds(string name, string value, int seconds)
        => Assert.Equal(TimeSpan.FromSeconds(seconds), PostgresStateSettings.Parse(Postgres(("connectionString", "host=db"), (name, value))).Timeout);

    [Fact]
    public void a_timeout_under_one_second_is_refused()
        => Assert.Contains("at least 1s", Refused(Postgres(("connectionString", "host=db"), ("timeout", "500ms"))).Problem);

    [Theory]
    [InlineData("cleanupInterval", "0", null)]
    [InlineData("cleanupInterval", "-5", null)]
    [InlineData("cleanupIntervalInSeconds", "10", 10)]
    [InlineData("cleanupInterval", "2m", 120)]
    public void the_cleanup_interval_is_seconds_and_zero_or_less_disables_it(string name, string value, int? seconds)
        => Assert.Equal(seconds is null ? null : TimeSpan.FromSeconds(seconds.Value),
            PostgresStateSettings.Parse(Postgres(("connectionString", "host=db"), (name, value))).CleanupInterval);

    [Fact]
    public void a_postgres_url_is_read_like_pgx_reads_it()
    {
        var settings = PostgresStateSettings.Parse(Postgres(
            ("url", "postgres://dapr:p%40ss@db.local:5434/orders?sslmode=disable&application_name=local%20dapr&pool_max_conns=7")));
        var connection = new NpgsqlConnectionStringBuilder(settings.ConnectionString);

        Assert.Equal(("db.local", 5434, "orders", "dapr", "p@ss"), (connection.Host, connection.Port, connection.Database, connection.Username, connection.Password));
        Assert.Equal(SslMode.Disable, connection.SslMode);
        Assert.Equal("local dapr", connection.ApplicationName);
        Assert.Equal(7, connection.MaxPoolSize);
    }

    [Fact]
    public void quoted_keyword_values_may_hold_spaces_and_quotes()
    {
        var settings = PostgresStateSettings.Parse(Postgres(("connectionString", @"host=db password='it\'s a secret' dbname = orders")));
        var connection = new NpgsqlConnectionStringBuilder(settings.ConnectionString);

        Assert.Equal("it's a secret", connection.Password);
        Assert.Equal("orders", connection.Database);
    }

    [Fact]
    public void a_connection_setting_npgsql_cannot_apply_is_refused()
        => Assert.Contains("'krbsrvname'", Refused(Postgres(("connectionString", "host=db krbsrvname=postgres"))).Problem);

    [Fact]
    public void the_connection_parts_work_without_a_connection_string_but_not_together_with_one()
    {
        var settings = PostgresStateSettings.Parse(Postgres(("host", "db"), ("port", "5435"), ("user", "u"), ("password", "p"), ("database", "d"), ("maxConns", "9")));
        var connection = new NpgsqlConnectionStringBuilder(settings.ConnectionString);

        Assert.Equal(("db", 5435, "d", "u", "p", 9), (connection.Host, connection.Port, connection.Database, connection.Username, connection.Password, connection.MaxPoolSize));
        Assert.Contains("cannot be combined with connectionString", Refused(Postgres(("connectionString", "host=db"), ("host", "other"))).Problem);
        Assert.Contains("'connectionString' is required", Refused(Postgres(("tableName", "state"))).Problem);
    }

    [Theory]
    [InlineData("useAzureAD", "true")]
    [InlineData("useAWSIAM", "true")]
    [InlineData("queryExecMode", "pipeline")]
    [InlineData("tableName", "state; DROP TABLE x")]
    [InlineData("maxConns", "lots")]
    public void postgresql_settings_the_local_sidecar_cannot_honour_are_refused(string name, string value)
        => Assert.Contains($"'{name}'", Refused(Postgres(("connectionString", "host=db"), (name, value))).Problem);

    [Fact]
    public void cloud_credentials_are_accepted_while_cloud_authentication_is_off()
        => PostgresStateSettings.Parse(Postgres(("connectionString", "host=db"), ("useAzureAD", "false"), ("azureClientId", "x"), ("queryExecMode", "simple_protocol")));
}
