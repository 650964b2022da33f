using System.Text;
using System.Text.Json;

namespace SubscriberApp.Deliveries;

/// <summary>In-memory record of delivery attempts, queried by tests through <c>/deliveries</c>.</summary>
public sealed class DeliveryLog(TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly List<Delivery> _deliveries = [];
    private readonly Dictionary<(string Topic, string Id), int> _attempts = [];

    public Delivery Record(string topic, string route, string? id, ReceivedRequest request)
    {
        lock (_gate)
        {
            var key = (topic, id ?? string.Empty);
            var attempt = _attempts.GetValueOrDefault(key) + 1;
            _attempts[key] = attempt;

            var delivery = new Delivery(
                topic,
                route,
                id,
                attempt,
                time.GetUtcNow(),
                request.ContentType,
                request.Headers,
                Encoding.UTF8.GetString(request.Body),
                Convert.ToBase64String(request.Body));
            _deliveries.Add(delivery);
            return delivery;
        }
    }

    public IReadOnlyList<Delivery> List(string? topic)
    {
        lock (_gate)
        {
            return [.. _deliveries.Where(d => topic is null || d.Topic == topic)];
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _deliveries.Clear();
            _attempts.Clear();
        }
    }

    /// <summary>
    /// <c>data.id</c> when the body is a CloudEvent whose data carries one, else the top-level <c>id</c>;
    /// null when the body is not a JSON object (a binary raw payload, say).
    /// </summary>
    public static string? FindId(byte[] body)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            // Raw payloads need not be JSON at all; such a delivery simply has no id.
            return null;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            if (root.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object
                && data.TryGetProperty("id", out var dataId) && dataId.ValueKind == JsonValueKind.String)
            {
                return dataId.GetString();
            }

            return root.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;
        }
    }
}
