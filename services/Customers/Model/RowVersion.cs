using System.Globalization;

namespace Customers.Model;

/// <summary>The customer's version as an HTTP entity tag: <c>ETag: "3"</c> on reads, <c>If-Match: "3"</c> on updates.</summary>
public static class RowVersion
{
    public static string ToETag(int version) => $"\"{version.ToString(CultureInfo.InvariantCulture)}\"";

    /// <summary>
    /// Reads the version an <c>If-Match</c> header names. A weak tag (<c>W/"3"</c>) is accepted too: proxies weaken tags
    /// and the version means the same either way. <c>*</c> and lists are not versions and do not parse.
    /// </summary>
    public static bool TryParse(string? ifMatch, out int version)
    {
        version = 0;
        var tag = ifMatch?.Trim();
        if (tag is null)
        {
            return false;
        }

        if (tag.StartsWith("W/", StringComparison.Ordinal))
        {
            tag = tag[2..];
        }

        return tag.Length > 2 && tag[0] == '"' && tag[^1] == '"'
            && int.TryParse(tag.AsSpan(1, tag.Length - 2), NumberStyles.None, CultureInfo.InvariantCulture, out version)
            && version > 0;
    }
}
