using System.Globalization;
using Dapr;
using Dapr.Client;

namespace Cart.Infrastructure;

/// <summary>A value as read, with the etag a write must match; <see cref="Value"/> is null when the key was absent.</summary>
public sealed record Versioned<T>(string Key, T? Value, string ETag) where T : class;

/// <summary>
/// Read-then-write on single keys of one state store, with the etag as the guard: a write succeeds only if nobody wrote
/// the key since it was read. Every write is one key, because one key's save is atomic on every store, whereas
/// daprd's state.redis runs a multi-key transaction as a MULTI of per-key scripts that does not undo the other keys
/// when one etag is stale.
/// </summary>
public sealed class OptimisticState(DaprClient dapr, string storeName)
{
    private static readonly StateOptions FirstWrite = new() { Concurrency = ConcurrencyMode.FirstWrite };

    public string StoreName => storeName;

    public async Task<Versioned<T>> ReadAsync<T>(string key, CancellationToken ct) where T : class
    {
        var (value, etag) = await dapr.GetStateAndETagAsync<T?>(storeName, key, cancellationToken: ct);
        return new Versioned<T>(key, value, etag ?? "");
    }

    /// <summary>
    /// Writes <paramref name="value"/> over what <paramref name="read"/> saw: the same etag, or, if the key was absent,
    /// still no key (first-write without an etag). False means another writer came first; read again and retry.
    /// </summary>
    /// <param name="timeToLive">Sent as <c>ttlInSeconds</c>; null keeps no expiry on stores that would otherwise keep the old one.</param>
    public async Task<bool> TryWriteAsync<T>(Versioned<T> read, T value, TimeSpan? timeToLive, CancellationToken ct) where T : class
    {
        var metadata = new Dictionary<string, string>
        {
            // Lets state.postgresql keep a JSONB document rather than opaque bytes.
            ["contentType"] = "application/json",
        };
        if (timeToLive is { } ttl)
        {
            metadata["ttlInSeconds"] = Math.Max(1, (int)Math.Ceiling(ttl.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        try
        {
            return await dapr.TrySaveStateAsync(storeName, read.Key, value, read.ETag, FirstWrite, metadata, ct);
        }
        catch (DaprException) when (read.ETag.Length == 0)
        {
            // daprd's state.postgresql reports a lost insert race as a plain error, not as an etag mismatch. It was a
            // race only if the key exists now; anything else is a real failure and goes up as it came.
            if ((await ReadAsync<T>(read.Key, ct)).Value is not null)
            {
                return false;
            }

            throw;
        }
    }

    public Task DeleteAsync(string key, CancellationToken ct) => dapr.DeleteStateAsync(storeName, key, cancellationToken: ct);
}

/// <summary>Waits between attempts after a lost etag race, with full jitter so that racers spread out instead of colliding again.</summary>
public static class Contention
{
    private static readonly TimeSpan Base = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan Cap = TimeSpan.FromSeconds(1);

    public static Task BackOffAsync(int failedAttempts, TimeProvider time, CancellationToken ct)
    {
        var ceiling = Math.Min(Cap.TotalMilliseconds, Base.TotalMilliseconds * Math.Pow(2, Math.Min(failedAttempts, 16)));
        return Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * ceiling), time, ct);
    }
}
