using System.Globalization;
using System.Text.RegularExpressions;

namespace LocalSidecar.Components;

/// <summary>Parses Go's <c>time.ParseDuration</c> format, which every Dapr resource uses for durations.</summary>
public static partial class GoDuration
{
    [GeneratedRegex(@"^(?<n>\d+(\.\d+)?)(?<u>ns|us|µs|ms|s|m|h)")]
    private static partial Regex Part();

    public static bool TryParse(string text, TimeSpan bareNumberUnit, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        var s = text.Trim();
        if (s.Length == 0)
        {
            return false;
        }

        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var bare))
        {
            value = bareNumberUnit * bare;
            return true;
        }

        var negative = s.StartsWith('-');
        if (negative || s.StartsWith('+'))
        {
            s = s[1..];
        }

        double totalMs = 0;
        while (s.Length > 0)
        {
            var m = Part().Match(s);
            if (!m.Success)
            {
                return false;
            }

            var n = double.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture);
            totalMs += m.Groups["u"].Value switch
            {
                "ns" => n / 1_000_000,
                "us" or "µs" => n / 1_000,
                "ms" => n,
                "s" => n * 1_000,
                "m" => n * 60_000,
                "h" => n * 3_600_000,
                _ => throw new System.Diagnostics.UnreachableException(),
            };
            s = s[m.Length..];
        }

        value = TimeSpan.FromMilliseconds(negative ? -totalMs : totalMs);
        return true;
    }

}
