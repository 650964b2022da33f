using System.Net;
using System.Text.Json;
using LocalSidecar.Resiliency;

namespace LocalSidecar.Subscriptions;

public enum AppAnswerKind
{
    Success,
    Retry,
    Drop,
}

/// <summary>How daprd reads the app's HTTP answer to a delivered message.</summary>
public sealed record AppAnswer(AppAnswerKind Kind, int StatusCode, string Reason)
{
    /// <summary>
    /// daprd's table (<c>postman/http/http.go</c>): any 2xx is a success unless its body is a JSON object whose
    /// <c>status</c> says otherwise — RETRY or any unknown text retries, DROP drops; an empty or non-JSON body, or no
    /// status, is a success. 404 drops (logged as an error); every other code retries.
    /// </summary>
    public static AppAnswer Read(int statusCode, ReadOnlySpan<byte> body)
    {
        if (statusCode is >= 200 and <= 299)
        {
            var status = StatusField(body);
            return status switch
            {
                null or "" or "SUCCESS" => new AppAnswer(AppAnswerKind.Success, statusCode, "success"),
                "DROP" => new AppAnswer(AppAnswerKind.Drop, statusCode, "the app answered DROP"),
                "RETRY" => new AppAnswer(AppAnswerKind.Retry, statusCode, "the app answered RETRY"),
                _ => new AppAnswer(AppAnswerKind.Retry, statusCode, $"the app answered an unknown status '{status}'"),
            };
        }

        return statusCode == (int)HttpStatusCode.NotFound
            ? new AppAnswer(AppAnswerKind.Drop, statusCode, "the app answered 404 (non-retriable)")
            : new AppAnswer(AppAnswerKind.Retry, statusCode, $"the app answered {statusCode}");
    }

    private static string? StatusField(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            using var document = JsonDocument.ParseValue(ref reader);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            // Go's decoder matches the field name case-insensitively, and a non-string status makes decoding fail (= success).
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (string.Equals(property.Name, "status", StringComparison.OrdinalIgnoreCase))
                {
                    return property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : null;
                }
            }

            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>A delivery that should be tried again (RETRY, unknown status, non-404 error code, or no answer at all).</summary>
public sealed class AppDeliveryException(string message, int? httpStatusCode, Exception? inner = null)
    : Exception(message, inner), IStatusCodeError
{
    public int? HttpStatusCode { get; } = httpStatusCode;

    public int? GrpcStatusCode => null;
}
