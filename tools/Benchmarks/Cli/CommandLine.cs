using System.Globalization;

namespace Benchmarks.Cli;

/// <summary>A command-line mistake: printed with the usage, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>
/// The flags after the subcommand: <c>--name value</c> or <c>--name=value</c>. Every flag a command does not read is
/// an error (see <see cref="EnsureAllRead"/>), so a typo never silently runs the defaults.
/// </summary>
public sealed class CommandLine
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    private CommandLine()
    {
    }

    public static CommandLine Parse(IReadOnlyList<string> args)
    {
        var line = new CommandLine();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
            {
                throw new UsageException($"expected a flag (--name value), got '{arg}'");
            }

            string name;
            string value;
            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                name = arg[2..eq];
                value = arg[(eq + 1)..];
            }
            else
            {
                name = arg[2..];
                if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    throw new UsageException($"flag --{name} needs a value");
                }

                value = args[++i];
            }

            if (!line._values.TryAdd(name, value))
            {
                throw new UsageException($"flag --{name} given twice");
            }
        }

        return line;
    }

    public string String(string name, string defaultValue)
    {
        _read.Add(name);
        return _values.TryGetValue(name, out var value) ? value : defaultValue;
    }

    public int Int(string name, int defaultValue, int min, int max)
    {
        _read.Add(name);
        if (!_values.TryGetValue(name, out var raw))
        {
            return defaultValue;
        }

        return int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new UsageException($"--{name} must be an integer from {min} to {max}, got '{raw}'");
    }

    public TimeSpan Duration(string name, TimeSpan defaultValue, TimeSpan min)
    {
        _read.Add(name);
        if (!_values.TryGetValue(name, out var raw))
        {
            return defaultValue;
        }

        var value = ParseDuration(raw) ?? throw new UsageException($"--{name} must be a duration such as 500ms, 10s or 2m, got '{raw}'");
        return value >= min ? value : throw new UsageException($"--{name} must be at least {Format(min)}, got '{raw}'");
    }

    /// <summary>Fails on any flag no command read.</summary>
    public void EnsureAllRead()
    {
        var unknown = _values.Keys.Where(k => !_read.Contains(k)).Select(k => "--" + k).ToList();
        if (unknown.Count > 0)
        {
            throw new UsageException($"unknown flag(s): {string.Join(", ", unknown)}");
        }
    }

    /// <summary><c>250ms</c>, <c>10s</c>, <c>1.5s</c>, <c>2m</c>; a bare number is seconds.</summary>
    public static TimeSpan? ParseDuration(string text)
    {
        text = text.Trim();
        (string Suffix, double Seconds)[] units = [("ms", 0.001), ("s", 1), ("m", 60)];
        foreach (var (suffix, seconds) in units)
        {
            if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                return Number(text[..^suffix.Length], seconds);
            }
        }

        return Number(text, 1);

        static TimeSpan? Number(string digits, double scale)
            => double.TryParse(digits, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n) && n >= 0 && double.IsFinite(n)
                ? TimeSpan.FromSeconds(n * scale)
                : null;
    }

    public static string Format(TimeSpan value)
        => value.TotalSeconds >= 1 && value.Milliseconds == 0
            ? value.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + "s"
            : value.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture) + "ms";
}
