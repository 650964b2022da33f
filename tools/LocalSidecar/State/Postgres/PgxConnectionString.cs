using System.Globalization;
using System.Text;
using LocalSidecar.Components;
using Npgsql;

namespace LocalSidecar.State.Postgres;

/// <summary>
/// Reads a connection string the way daprd's PostgreSQL components receive it (pgx <c>pgxpool.ParseConfig</c>):
/// either libpq keyword/value pairs (<c>host=localhost user=postgres password=x port=5432 database=dapr</c>) or a
/// <c>postgres://</c> URL, and turns it into Npgsql settings. A keyword Npgsql cannot honour is an error naming it,
/// because pgx would have acted on it.
/// </summary>
public static class PgxConnectionString
{
    /// <summary>pgx settings that tune its own statement caches and pool health checks; Npgsql has no counterpart, and nothing observable depends on them.</summary>
    private static readonly HashSet<string> NoLocalMeaning = new(StringComparer.Ordinal)
    {
        "default_query_exec_mode", "statement_cache_capacity", "description_cache_capacity",
        "pool_health_check_period", "pool_max_conn_lifetime_jitter",
    };

    /// <param name="givenKeys">The keywords the text set, so callers can tell a pgx default from an explicit value.</param>
    public static NpgsqlConnectionStringBuilder Parse(string text, ComponentMetadata md, string field, out IReadOnlySet<string> givenKeys)
    {
        var pairs = text.TrimStart().StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
                    || text.TrimStart().StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
            ? ParseUrl(text.Trim(), md, field)
            : ParseKeywords(text, md, field);

        givenKeys = pairs.Select(p => p.Key).ToHashSet(StringComparer.Ordinal);
        var builder = new NpgsqlConnectionStringBuilder();
        string? hostaddr = null;
        foreach (var (key, value) in pairs)
        {
            switch (key)
            {
                case "host":
                    builder.Host = value;
                    break;
                case "hostaddr":
                    hostaddr = value;
                    break;
                case "port":
                    builder.Port = PositiveInt(value, key, md, field);
                    break;
                case "dbname" or "database":
                    builder.Database = value;
                    break;
                case "user":
                    builder.Username = value;
                    break;
                case "password":
                    builder.Password = value;
                    break;
                case "sslmode":
                    builder.SslMode = value switch
                    {
                        "disable" => SslMode.Disable,
                        "allow" => SslMode.Allow,
                        "prefer" => SslMode.Prefer,
                        "require" => SslMode.Require,
                        "verify-ca" => SslMode.VerifyCA,
                        "verify-full" => SslMode.VerifyFull,
                        _ => throw md.Invalid(field, $"has an unknown sslmode '{value}'"),
                    };
                    break;
                case "sslrootcert":
                    builder.RootCertificate = value;
                    break;
                case "sslcert":
                    builder.SslCertificate = value;
                    break;
                case "sslkey":
                    builder.SslKey = value;
                    break;
                case "sslpassword":
                    builder.SslPassword = value;
                    break;
                case "connect_timeout":
                    builder.Timeout = PositiveInt(value, key, md, field);
                    break;
                case "application_name":
                    builder.ApplicationName = value;
                    break;
                case "search_path":
                    builder.SearchPath = value;
                    break;
                case "timezone":
                    builder.Timezone = value;
                    break;
                case "options":
                    builder.Options = value;
                    break;
                case "target_session_attrs":
                    builder.TargetSessionAttributes = value;
                    break;
                case "pool_max_conns":
                    builder.MaxPoolSize = PositiveInt(value, key, md, field);
                    break;
                case "pool_min_conns":
                    builder.MinPoolSize = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var min)
                        ? min
                        : throw md.Invalid(field, $"has a non-numeric {key} '{value}'");
                    break;
                case "pool_max_conn_idle_time":
                    builder.ConnectionIdleLifetime = Seconds(value, key, md, field);
                    break;
                case "pool_max_conn_lifetime":
                    builder.ConnectionLifetime = Seconds(value, key, md, field);
                    break;
                default:
                    if (!NoLocalMeaning.Contains(key))
                    {
                        throw md.Invalid(field, $"has the setting '{key}', which the local sidecar cannot apply with Npgsql");
                    }

                    break;
            }
        }

        if (hostaddr is not null)
        {
            // libpq connects to hostaddr and keeps host for TLS name checks; Npgsql has one address, so the numeric one wins.
            builder.Host = hostaddr;
        }

        return builder;
    }

    private static int PositiveInt(string value, string key, ComponentMetadata md, string field)
        => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw md.Invalid(field, $"has an invalid {key} '{value}'");

    private static int Seconds(string value, string key, ComponentMetadata md, string field)
        => GoDuration.TryParse(value, TimeSpan.FromSeconds(1), out var d) && d >= TimeSpan.Zero
            ? (int)Math.Ceiling(d.TotalSeconds)
            : throw md.Invalid(field, $"has an invalid duration {key} '{value}'");

    private static List<(string Key, string Value)> ParseKeywords(string text, ComponentMetadata md, string field)
    {
        var result = new List<(string, string)>();
        var i = 0;
        while (true)
        {
            while (i < text.Length && char.IsWhiteSpace(text[i]))
            {
                i++;
            }

            if (i >= text.Length)
            {
                return result;
            }

            var keyStart = i;
            while (i < text.Length && text[i] != '=' && !char.IsWhiteSpace(text[i]))
            {
                i++;
            }

            var key = text[keyStart..i];
            while (i < text.Length && char.IsWhiteSpace(text[i]))
            {
                i++;
            }

            if (i >= text.Length || text[i] != '=' || key.Length == 0)
            {
                throw md.Invalid(field, $"is not a valid connection string: expected 'key=value' near '{key}'");
            }

            i++;
            while (i < text.Length && char.IsWhiteSpace(text[i]))
            {
                i++;
            }

            var value = new StringBuilder();
            if (i < text.Length && text[i] == '\'')
            {
                i++;
                while (true)
                {
                    if (i >= text.Length)
                    {
                        throw md.Invalid(field, $"has an unterminated quoted value for '{key}'");
                    }

                    if (text[i] == '\\' && i + 1 < text.Length)
                    {
                        value.Append(text[i + 1]);
                        i += 2;
                    }
                    else if (text[i] == '\'')
                    {
                        i++;
                        break;
                    }
                    else
                    {
                        value.Append(text[i++]);
                    }
                }
            }
            else
            {
                while (i < text.Length && !char.IsWhiteSpace(text[i]))
                {
                    if (text[i] == '\\' && i + 1 < text.Length)
                    {
                        value.Append(text[i + 1]);
                        i += 2;
                    }
                    else
                    {
                        value.Append(text[i++]);
                    }
                }
            }

            result.Add((key, value.ToString()));
        }
    }

    private static List<(string Key, string Value)> ParseUrl(string url, ComponentMetadata md, string field)
    {
        var result = new List<(string, string)>();
        var rest = url[(url.IndexOf("://", StringComparison.Ordinal) + 3)..];

        var query = string.Empty;
        var q = rest.IndexOf('?');
        if (q >= 0)
        {
            query = rest[(q + 1)..];
            rest = rest[..q];
        }

        var path = string.Empty;
        var slash = rest.IndexOf('/');
        if (slash >= 0)
        {
            path = rest[(slash + 1)..];
            rest = rest[..slash];
        }

        var at = rest.LastIndexOf('@');
        if (at >= 0)
        {
            var userInfo = rest[..at];
            rest = rest[(at + 1)..];
            var colon = userInfo.IndexOf(':');
            result.Add(("user", Uri.UnescapeDataString(colon >= 0 ? userInfo[..colon] : userInfo)));
            if (colon >= 0)
            {
                result.Add(("password", Uri.UnescapeDataString(userInfo[(colon + 1)..])));
            }
        }

        if (rest.Length > 0)
        {
            // A single host:port becomes host and port; a list stays one host setting, which Npgsql reads the same way.
            var hosts = rest.Split(',');
            if (hosts.Length == 1 && !hosts[0].StartsWith('[') && hosts[0].Count(c => c == ':') == 1)
            {
                var colon = hosts[0].IndexOf(':');
                result.Add(("host", Uri.UnescapeDataString(hosts[0][..colon])));
                result.Add(("port", hosts[0][(colon + 1)..]));
            }
            else
            {
                result.Add(("host", Uri.UnescapeDataString(rest)));
            }
        }

        if (path.Length > 0)
        {
            result.Add(("database", Uri.UnescapeDataString(path)));
        }

        foreach (var part in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=');
            if (eq <= 0)
            {
                throw md.Invalid(field, $"has a malformed URL parameter '{part}'");
            }

            result.Add((Uri.UnescapeDataString(part[..eq]), Uri.UnescapeDataString(part[(eq + 1)..].Replace('+', ' '))));
        }

        return result;
    }
}
