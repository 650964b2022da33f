using System.Globalization;

namespace Runner.Infrastructure;

/// <summary>
/// Where the local PostgreSQL and Redis live. The defaults are what the project's component files
/// point at; LOCAL_PG_PORT / LOCAL_REDIS_PORT move them when those ports are taken.
/// </summary>
public sealed record InfraSettings(string DataRoot, string Host, int PostgresPort, int RedisPort)
{
    public const string PostgresPortVariable = "LOCAL_PG_PORT";
    public const string RedisPortVariable = "LOCAL_REDIS_PORT";

    public string PostgresDataDirectory => Path.Combine(DataRoot, "postgres");
    public string RedisDataDirectory => Path.Combine(DataRoot, "redis");

    public static InfraSettings For(string repoRoot, Func<string, string?> getEnvironmentVariable) =>
        new(Path.Combine(repoRoot, ".data"), "127.0.0.1",
            Port(getEnvironmentVariable, PostgresPortVariable, 5432),
            Port(getEnvironmentVariable, RedisPortVariable, 6379));

    private static int Port(Func<string, string?> get, string variable, int fallback)
    {
        var text = get(variable);
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and <= 65535
            ? port
            : throw new InfraException($"{variable}='{text}' is not a TCP port (1-65535)");
    }
}

public sealed class InfraException(string message, Exception? inner = null) : Exception(message, inner);
