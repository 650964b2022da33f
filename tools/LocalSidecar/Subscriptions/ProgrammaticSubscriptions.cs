using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;

namespace LocalSidecar.Subscriptions;

/// <summary>The app's answer to <c>GET /dapr/subscribe</c> could not be used; daprd fails the same way.</summary>
public sealed class SubscriptionDiscoveryException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Asks the app for its subscriptions as daprd does (<c>pkg/runtime/pubsub/subscriptions.go</c>): header
/// <c>dapr-app-id</c>, JSON decoded case-insensitively (Dapr.AspNetCore writes <c>pubsubName</c>), 404 = none, any other
/// non-200 = none with an error logged. <c>routes.rules</c> come first, then <c>routes.default</c>, else the v1
/// <c>route</c>. A few quick retries cover an app whose port opened a moment before its routes were mapped.
/// </summary>
public sealed class ProgrammaticSubscriptions(AppChannel channel, string appId, ILogger logger, TimeProvider time)
{
    public const string Path = "dapr/subscribe";
    public const string AppIdHeader = "dapr-app-id";

    // daprd's DaprBuiltInInitializationRetries: 3 retries, exponential from 500 ms, capped at 1 s.
    private static readonly TimeSpan[] RetryDelays = [TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(750), TimeSpan.FromSeconds(1)];

    private static readonly JsonSerializerOptions Json = new() { PropertyNameCaseInsensitive = true };

    public async Task<IReadOnlyList<SubscriptionDefinition>> FetchAsync(CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            using var request = channel.CreateRequest(HttpMethod.Get, Path);
            request.Headers.TryAddWithoutValidation(AppIdHeader, appId);
            request.Headers.Accept.ParseAdd("application/json");
            try
            {
                using var response = await channel.SendAsync(request, ct).ConfigureAwait(false);
                var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
                switch (response.StatusCode)
                {
                    case HttpStatusCode.OK:
                        return Parse(body);
                    case HttpStatusCode.NotFound:
                        logger.LogDebug("The app has no programmatic subscriptions (GET /{Path} answered 404)", Path);
                        return [];
                    default:
                        logger.LogError("The app answered {Status} to GET /{Path}; going on without programmatic subscriptions. Body: {Body}", (int)response.StatusCode, Path, body);
                        return [];
                }
            }
            catch (HttpRequestException e) when (attempt < RetryDelays.Length)
            {
                logger.LogWarning(e, "GET /{Path} failed (attempt {Attempt}); retrying in {Delay}", Path, attempt + 1, RetryDelays[attempt]);
                await Task.Delay(RetryDelays[attempt], time, ct).ConfigureAwait(false);
            }
            catch (HttpRequestException e)
            {
                throw new SubscriptionDiscoveryException($"could not read the app's subscriptions from {channel.BaseAddress}{Path}: {e.Message}", e);
            }
        }
    }

    /// <summary>Turns the JSON array into definitions; entries with no route at all are kept here and dropped when starting.</summary>
    public static IReadOnlyList<SubscriptionDefinition> Parse(string json)
    {
        List<SubscriptionJson>? items;
        try
        {
            items = JsonSerializer.Deserialize<List<SubscriptionJson>>(json, Json);
        }
        catch (JsonException e)
        {
            throw new SubscriptionDiscoveryException($"error getting topics from app: {e.Message}", e);
        }

        return (items ?? []).Select(ToDefinition).ToList();
    }

    private static SubscriptionDefinition ToDefinition(SubscriptionJson item)
    {
        var rules = new List<RouteRule>();
        foreach (var rule in item.Routes?.Rules ?? [])
        {
            var match = string.IsNullOrWhiteSpace(rule.Match) ? null : rule.Match.Trim();
            if (match is not null)
            {
                try
                {
                    CelExpression.Compile(match);
                }
                catch (CelCompileException e)
                {
                    throw new SubscriptionDiscoveryException($"the app's subscription to {item.PubsubName}/{item.Topic} has an invalid match: {e.Message}", e);
                }
            }

            rules.Add(new RouteRule(match, rule.Path ?? ""));
        }

        if (!string.IsNullOrEmpty(item.Routes?.Default))
        {
            rules.Add(new RouteRule(null, item.Routes.Default));
        }
        else if (!string.IsNullOrEmpty(item.Route))
        {
            rules.Add(new RouteRule(null, item.Route));
        }

        return new SubscriptionDefinition(
            item.PubsubName ?? "",
            item.Topic ?? "",
            rules,
            string.IsNullOrEmpty(item.DeadLetterTopic) ? null : item.DeadLetterTopic,
            item.Metadata ?? new Dictionary<string, string>(),
            item.BulkSubscribe is { } bulk ? new BulkSubscribeOptions(bulk.Enabled, bulk.MaxMessagesCount, bulk.MaxAwaitDurationMs) : null,
            [],
            SubscriptionSource.Programmatic);
    }

    private sealed record SubscriptionJson(
        [property: JsonPropertyName("pubsubname")] string? PubsubName,
        string? Topic,
        string? DeadLetterTopic,
        Dictionary<string, string>? Metadata,
        string? Route,
        RoutesJson? Routes,
        BulkJson? BulkSubscribe);

    private sealed record RoutesJson(List<RuleJson>? Rules, string? Default);

    private sealed record RuleJson(string? Match, string? Path);

    private sealed record BulkJson(bool Enabled, int? MaxMessagesCount, int? MaxAwaitDurationMs);
}
