using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace OrderWorkflow.Infrastructure;

/// <summary>
/// Calls a method of another app through this app's sidecar (<c>/v1.0/invoke/{app}/method/{path}</c>) and sorts the
/// answer into the saga's two kinds: a business answer (2xx or 4xx) becomes a <see cref="StepResult"/>, anything else
/// throws <see cref="ServiceFaultException"/>. Deliberately no retry here: the workflow's retry policy owns retries,
/// and two layers of them would multiply.
/// </summary>
public sealed class ServiceInvoker(IHttpClientFactory clients)
{
    public const string HttpClientName = "dapr-invoke";

    public async Task<StepResult> SendAsync(string appId, HttpMethod method, string path, object? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, $"http://{appId}/{path}");
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType());
        }

        var client = clients.CreateClient(HttpClientName);
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, ct);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            throw new ServiceFaultException($"{method} {appId}/{path} failed: {e.Message}", e);
        }

        using (response)
        {
            if (response.IsSuccessStatusCode)
            {
                return StepResult.Done;
            }

            var text = await response.Content.ReadAsStringAsync(ct);
            if (IsBusinessAnswer(response.StatusCode))
            {
                var (code, detail) = ReadProblem(text);
                return StepResult.Refused(code ?? ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture), detail);
            }

            throw new ServiceFaultException($"{method} {appId}/{path} answered {(int)response.StatusCode}: {Truncate(text)}");
        }
    }

    /// <summary>4xx is the service's own verdict; 408 and 429 are the transport's, so they are faults to retry.</summary>
    private static bool IsBusinessAnswer(HttpStatusCode status) =>
        (int)status is >= 400 and < 500 && status is not HttpStatusCode.RequestTimeout and not HttpStatusCode.TooManyRequests;

    private static (string? Code, string? Detail) ReadProblem(string text)
    {
        try
        {
            using var problem = JsonDocument.Parse(text);
            var root = problem.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, Truncate(text));
            }

            var code = root.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
            var detail = root.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString()
                : root.TryGetProperty("title", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            return (code, detail);
        }
        catch (JsonException)
        {
            // Not problem details (e.g. the sidecar's own error body): keep the text as the detail.
            return (null, Truncate(text));
        }
    }

    private static string Truncate(string text) => text.Length <= 500 ? text : text[..500] + "…";
}
