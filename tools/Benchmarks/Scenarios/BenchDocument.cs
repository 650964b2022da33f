using System.Text.Json;

namespace Benchmarks.Scenarios;

/// <summary>
/// The value every scenario moves: a JSON object of about <c>payload</c> bytes, <c>{"seq":…,"body":"xxx…"}</c>.
/// State scenarios store it as the value; publish scenarios send it as the event's data and find it again by
/// <see cref="Seq"/> when it arrives.
/// </summary>
public sealed record BenchDocument(long Seq, string Body)
{
    /// <summary>The serializer options of the Dapr SDK (JsonSerializerDefaults.Web), used by every direct path too.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static BenchDocument Create(long seq, int payloadBytes)
    {
        var envelope = JsonSerializer.SerializeToUtf8Bytes(new BenchDocument(seq, ""), Json).Length;
        return new BenchDocument(seq, new string('x', Math.Max(0, payloadBytes - envelope)));
    }

    public static BenchDocument Parse(ReadOnlySpan<byte> json)
        => JsonSerializer.Deserialize<BenchDocument>(json, Json) ?? throw new InvalidDataException("the stored value is JSON null");

    public static BenchDocument Parse(string json)
        => JsonSerializer.Deserialize<BenchDocument>(json, Json) ?? throw new InvalidDataException("the stored value is JSON null");

    public byte[] ToUtf8() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    public string ToJson() => JsonSerializer.Serialize(this, Json);
}
