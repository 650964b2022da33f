using System.Text.Json.Nodes;

namespace ServiceDefaults.Tests;

internal static class Deliveries
{
    public static async Task<IReadOnlyList<JsonObject>> OfAsync(HttpClient client, string topic, string id)
    {
        var all = JsonNode.Parse(await client.GetStringAsync($"/deliveries?topic={Uri.EscapeDataString(topic)}"))!.AsArray();
        return [.. all.Select(d => d!.AsObject()).Where(d => (string?)d["id"] == id)];
    }

    /// <summary>For handlers that are still running (hang): waits until the attempt shows up.</summary>
    public static async Task<JsonObject> WaitForAsync(HttpClient client, string topic, string id, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if ((await OfAsync(client, topic, id)) is [var delivery, ..])
            {
                return delivery;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"No delivery of '{id}' on '{topic}' within {timeout}.");
            }

            await Task.Delay(50);
        }
    }
}
