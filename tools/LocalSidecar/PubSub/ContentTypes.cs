namespace LocalSidecar.PubSub;

/// <summary>
/// daprd's content-type tests (components-contrib <c>contenttype</c>): a type matches only itself, optionally followed by
/// parameters. "+json" suffixes are deliberately NOT JSON here, because daprd embeds only <c>application/json</c> as JSON.
/// </summary>
public static class ContentTypes
{
    public const string CloudEvent = "application/cloudevents+json";
    public const string Json = "application/json";
    public const string OctetStream = "application/octet-stream";
    public const string TextPlain = "text/plain";

    public static bool IsCloudEvent(string? contentType) => Is(contentType, CloudEvent);

    public static bool IsJson(string? contentType) => Is(contentType, Json);

    public static bool IsBinary(string? contentType) => Is(contentType, OctetStream);

    private static bool Is(string? contentType, string expected)
    {
        if (string.IsNullOrEmpty(contentType))
        {
            return false;
        }

        var semicolon = contentType.IndexOf(';');
        var mediaType = semicolon >= 0 ? contentType[..semicolon] : contentType;
        return string.Equals(mediaType, expected, StringComparison.OrdinalIgnoreCase);
    }
}
