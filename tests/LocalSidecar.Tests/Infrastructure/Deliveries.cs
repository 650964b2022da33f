using System.Net.Http.Json;
using System.Text.Json;

namespace LocalSidecar.Tests.Infrastructure;

/// <summary>What the subscriber app recorded, read straight from the app (not through the sidecar).</summary>
public sealed record RecordedDelivery(string Topic, string Route, string? Id, int Attempt, string? ContentType, Dictionary<string, string> Headers, string RawBody)
{
    public JsonElement Envelope => JsonDocument.Parse(RawBody).RootElement;
}

public static class Deliveries
{
    public static async Task<IReadOnlyList<RecordedDelivery>> ListAsync(HttpClient app, string? topic = null)
        => (await app.GetFromJsonAsync<List<RecordedDelivery>>(topic is null ? "/deliveries" : $"/deliveries?topic={topic}", JsonSerializerOptions.Web))!;

    /// <summary>Polls until <paramref name="done"/> holds for the recorded deliveries, and returns them.</summary>
    public static async Task<IReadOnlyList<RecordedDelivery>> WaitForAsync(HttpClient app, Func<IReadOnlyList<RecordedDelivery>, bool> done, TimeSpan? timeout = null, string? topic = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var deliveries = await ListAsync(app, topic);
            if (done(deliveries))
            {
                return deliveries;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"expected deliveries did not arrive within {timeout ?? TimeSpan.FromSeconds(20)}; recorded: "
                    + string.Join("; ", deliveries.Select(d => $"{d.Topic}/{d.Id}#{d.Attempt}")));
            }

            await Task.Delay(100);
        }
    }
}
