using System.Net.Http.Json;
using System.Reflection;
using System.Text.Json;
using Benchmarks.Measurement;
using Benchmarks.Platform;
using LocalSidecar.State;
using LocalSidecar.State.Redis;
using Npgsql;
using NpgsqlTypes;
using StackExchange.Redis;
using static Benchmarks.Platform.PlatformEnvironment;

namespace Benchmarks.Scenarios;

/// <summary>
/// State get and save of one ~payload-byte JSON value, through the sidecar and straight on the store. Each worker
/// uses its own key (<c>get-{worker}</c>, <c>save-{worker}</c>), so saves never wait on each other's row or hash.
/// Every path ends with the same thing in hand: the value deserialized with the SDK's JSON options (gets), or the
/// same bytes written by the same statement or script (saves).
/// </summary>
public static class StateScenarios
{
    /// <summary>
    /// The exact statement <c>PostgresStateStore.GetAsync</c> runs. (The shorter
    /// <c>SELECT value, isbinary, xmin FROM state WHERE key=$1</c> would let the baseline do less than the store.)
    /// </summary>
    public const string PostgresGet =
        $"SELECT key, value, isbinary, xmin AS etag, expiredate FROM {PostgresTable} WHERE key = $1 AND (expiredate IS NULL OR expiredate >= CURRENT_TIMESTAMP)";

    /// <summary>The exact statement <c>PostgresStateStore.SetAsync</c> runs for a save without etag, concurrency or TTL.</summary>
    public const string PostgresUpsert =
        $"INSERT INTO {PostgresTable} AS t (key, value, isbinary, expiredate) VALUES ($1, $2, $3, NULL) " +
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value, isbinary = excluded.isbinary, updatedate = CURRENT_TIMESTAMP, expiredate = NULL";

    /// <summary>
    /// The Lua script <c>RedisStateStore.SetAsync</c> evaluates (read from the store's own code so the baseline cannot
    /// drift from it); ARGV = expected version, mode, data, first-write flag, TTL.
    /// </summary>
    public static string RedisSetScript { get; } =
        typeof(RedisStateStore).GetField("SetScript", BindingFlags.NonPublic | BindingFlags.Static)?.GetRawConstantValue() as string
        ?? throw new InvalidOperationException("RedisStateStore.SetScript was not found; the direct Redis save baseline needs the store's script");

    public static async Task<Scenario> RedisGetAsync(PlatformEnvironment env, int concurrency, int payload, CancellationToken ct)
    {
        var keys = await SeedAsync(env, RedisStore, concurrency, payload, ct).ConfigureAwait(false);
        var storeKeys = keys.Select(StoreKey).ToArray();
        var db = env.RedisDirect.GetDatabase();
        for (var w = 0; w < concurrency; w++)
        {
            Expect(w, await RedisGetDirectAsync(db, storeKeys[w]).ConfigureAwait(false), "direct HGETALL of the value saved through the sidecar");
        }

        return new Scenario("state-get-redis", "state get, Redis",
        [
            BenchmarkPath.Timed("direct HGETALL", PathRole.Baseline,
                async (w, _) => Expect(w, await RedisGetDirectAsync(db, storeKeys[w]).ConfigureAwait(false))),
            SidecarGrpcGet(env, RedisStore, keys),
            SidecarHttpGet(env, RedisStore, keys),
            .. InProcessGet(env, RedisStore, keys),
        ]);
    }

    public static async Task<Scenario> PostgresGetAsync(PlatformEnvironment env, int concurrency, int payload, CancellationToken ct)
    {
        var keys = await SeedAsync(env, PostgresStore, concurrency, payload, ct).ConfigureAwait(false);
        var storeKeys = keys.Select(StoreKey).ToArray();
        for (var w = 0; w < concurrency; w++)
        {
            Expect(w, await PostgresGetDirectAsync(env.PostgresDirect, storeKeys[w], ct).ConfigureAwait(false), "direct SELECT of the value saved through the sidecar");
        }

        return new Scenario("state-get-pg", "state get, PostgreSQL",
        [
            BenchmarkPath.Timed("direct SELECT", PathRole.Baseline,
                async (w, token) => Expect(w, await PostgresGetDirectAsync(env.PostgresDirect, storeKeys[w], token).ConfigureAwait(false))),
            SidecarGrpcGet(env, PostgresStore, keys),
            SidecarHttpGet(env, PostgresStore, keys),
            .. InProcessGet(env, PostgresStore, keys),
        ]);
    }

    public static Task<Scenario> RedisSaveAsync(PlatformEnvironment env, int concurrency, int payload, CancellationToken ct)
    {
        var (keys, documents) = SaveInputs(concurrency, payload);
        var storeKeys = keys.Select(k => (RedisKey)StoreKey(k)).ToArray();
        var db = env.RedisDirect.GetDatabase();
        return Task.FromResult(new Scenario("state-save-redis", "state save, Redis",
        [
            BenchmarkPath.Timed("direct EVALSHA (store's script)", PathRole.Baseline, async (w, _) =>
            {
                // Last-write, no etag, no TTL: what the sidecar's store passes for a plain SaveStateAsync.
                var version = await db.ScriptEvaluateAsync(RedisSetScript, [storeKeys[w]],
                    [RedisValue.EmptyString, "lw", documents[w].ToUtf8(), "0", RedisValue.EmptyString]).ConfigureAwait(false);
                if ((long)version < 1)
                {
                    throw new InvalidOperationException($"the store's set script answered {version} for {storeKeys[w]}");
                }
            }),
            SidecarGrpcSave(env, RedisStore, keys, documents),
            .. InProcessSave(env, RedisStore, keys, documents),
        ]));
    }

    public static Task<Scenario> PostgresSaveAsync(PlatformEnvironment env, int concurrency, int payload, CancellationToken ct)
    {
        var (keys, documents) = SaveInputs(concurrency, payload);
        var storeKeys = keys.Select(StoreKey).ToArray();
        return Task.FromResult(new Scenario("state-save-pg", "state save, PostgreSQL",
        [
            BenchmarkPath.Timed("direct INSERT … ON CONFLICT", PathRole.Baseline, async (w, token) =>
            {
                // As the store does for a value that came over gRPC: a pooled connection opened per save, the value's
                // bytes as a base64 JSON string with isbinary = true (daprd treats gRPC values as bytes).
                await using var connection = await env.PostgresDirect.OpenConnectionAsync(token).ConfigureAwait(false);
                await using var command = new NpgsqlCommand(PostgresUpsert, connection);
                command.Parameters.Add(new NpgsqlParameter { Value = storeKeys[w], NpgsqlDbType = NpgsqlDbType.Text });
                command.Parameters.Add(new NpgsqlParameter { Value = BinaryValue(documents[w]), NpgsqlDbType = NpgsqlDbType.Jsonb });
                command.Parameters.Add(new NpgsqlParameter { Value = true, NpgsqlDbType = NpgsqlDbType.Boolean });
                var rows = await command.ExecuteNonQueryAsync(token).ConfigureAwait(false);
                if (rows != 1)
                {
                    throw new InvalidOperationException($"the upsert of {storeKeys[w]} changed {rows} rows");
                }
            }),
            SidecarGrpcSave(env, PostgresStore, keys, documents),
            .. InProcessSave(env, PostgresStore, keys, documents),
        ]));
    }

    /// <summary>What the store binds for a binary value: the base64 of the bytes as a JSON string.</summary>
    private static string BinaryValue(BenchDocument document) => $"\"{Convert.ToBase64String(document.ToUtf8())}\"";

    private static BenchmarkPath SidecarGrpcGet(PlatformEnvironment env, string store, string[] keys)
        => BenchmarkPath.Timed("sidecar gRPC (SDK GetStateAsync)", PathRole.Measured,
            async (w, token) => Expect(w, await env.Dapr.GetStateAsync<BenchDocument>(store, keys[w], cancellationToken: token).ConfigureAwait(false)));

    private static BenchmarkPath SidecarHttpGet(PlatformEnvironment env, string store, string[] keys)
    {
        var paths = keys.Select(k => $"/v1.0/state/{store}/{Uri.EscapeDataString(k)}").ToArray();
        return BenchmarkPath.Timed("sidecar HTTP (GET /v1.0/state)", PathRole.Measured,
            async (w, token) => Expect(w, await env.SidecarHttp.GetFromJsonAsync<BenchDocument>(paths[w], BenchDocument.Json, token).ConfigureAwait(false)));
    }

    private static BenchmarkPath SidecarGrpcSave(PlatformEnvironment env, string store, string[] keys, BenchDocument[] documents)
        => BenchmarkPath.Timed("sidecar gRPC (SDK SaveStateAsync)", PathRole.Measured,
            (w, token) => env.Dapr.SaveStateAsync(store, keys[w], documents[w], cancellationToken: token));

    /// <summary>
    /// With the sidecar in-process: its state building block called directly (key prefix, store adapter, the store's
    /// client), without gRPC, HTTP/2, Kestrel or the SDK. gRPC path − this path = transport and SDK; this path −
    /// direct = the sidecar's own state code.
    /// </summary>
    private static BenchmarkPath[] InProcessGet(PlatformEnvironment env, string store, string[] keys)
    {
        if (env.Sidecar is not InProcessSidecar inProcess)
        {
            return [];
        }

        var state = inProcess.Services.GetRequiredService<StateService>();
        return
        [
            BenchmarkPath.Timed(NoTransport, PathRole.Measured, async (w, token) =>
            {
                var item = await state.GetAsync(store, keys[w], token).ConfigureAwait(false);
                Expect(w, item.Data is null ? null : BenchDocument.Parse(item.Data));
            }),
        ];
    }

    /// <summary>As <see cref="InProcessGet"/>, for a save: the bytes as they arrive over gRPC (not JSON-flagged).</summary>
    private static BenchmarkPath[] InProcessSave(PlatformEnvironment env, string store, string[] keys, BenchDocument[] documents)
    {
        if (env.Sidecar is not InProcessSidecar inProcess)
        {
            return [];
        }

        var state = inProcess.Services.GetRequiredService<StateService>();
        var noMetadata = new Dictionary<string, string>();
        return
        [
            BenchmarkPath.Timed(NoTransport, PathRole.Measured, (w, token) => state.SaveAsync(store,
                [new SaveItem(keys[w], new StateValue(documents[w].ToUtf8(), IsJson: false), null, Concurrency.Unspecified, noMetadata)], token)),
        ];
    }

    private const string NoTransport = "in-process StateService (no transport)";

    private static (string[] Keys, BenchDocument[] Documents) SaveInputs(int concurrency, int payload)
        => (Enumerable.Range(0, concurrency).Select(w => $"save-{w}").ToArray(),
            Enumerable.Range(0, concurrency).Select(w => BenchDocument.Create(w, payload)).ToArray());

    /// <summary>Saves one value per worker through the sidecar, so the stored layout is exactly the sidecar's.</summary>
    private static async Task<string[]> SeedAsync(PlatformEnvironment env, string store, int concurrency, int payload, CancellationToken ct)
    {
        var keys = Enumerable.Range(0, concurrency).Select(w => $"get-{w}").ToArray();
        for (var w = 0; w < concurrency; w++)
        {
            await env.Dapr.SaveStateAsync(store, keys[w], BenchDocument.Create(w, payload), cancellationToken: ct).ConfigureAwait(false);
        }

        return keys;
    }

    /// <summary>What <c>RedisStateStore</c> reads: HGETALL, then the <c>data</c> and <c>version</c> fields.</summary>
    private static async Task<BenchDocument?> RedisGetDirectAsync(IDatabase db, string storeKey)
    {
        var entries = await db.HashGetAllAsync(storeKey).ConfigureAwait(false);
        byte[]? data = null;
        string? version = null;
        foreach (var entry in entries)
        {
            if (entry.Name == "data")
            {
                data = (byte[]?)entry.Value;
            }
            else if (entry.Name == "version")
            {
                version = entry.Value.ToString();
            }
        }

        if (data is null || string.IsNullOrEmpty(version))
        {
            return null;
        }

        return BenchDocument.Parse(data);
    }

    /// <summary>What <c>PostgresStateStore</c> reads: the same statement, the same columns, the same decoding.</summary>
    private static async Task<BenchDocument?> PostgresGetDirectAsync(NpgsqlDataSource dataSource, string storeKey, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(PostgresGet);
        command.Parameters.Add(new NpgsqlParameter { Value = storeKey, NpgsqlDbType = NpgsqlDbType.Text });
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        if (!await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            return null;
        }

        // The columns the store reads besides the value: key, etag and expiry.
        _ = reader.GetString(0);
        _ = reader.GetFieldValue<uint>(3);
        _ = reader.IsDBNull(4);
        var json = reader.GetString(1);
        if (!reader.GetBoolean(2))
        {
            return BenchDocument.Parse(json);
        }

        // Values saved over gRPC are bytes to daprd, kept as a base64 JSON string with isbinary = true.
        var base64 = JsonSerializer.Deserialize<string>(json) ?? throw new InvalidDataException($"{storeKey}: isbinary but the value is JSON null");
        return BenchDocument.Parse(Convert.FromBase64String(base64));
    }

    /// <summary>Every read must return the document seeded for its worker; a miss is an error, not a fast operation.</summary>
    private static void Expect(int worker, BenchDocument? document, string what = "read")
    {
        if (document is null)
        {
            throw new InvalidDataException($"{what}: key get-{worker} was not found");
        }

        if (document.Seq != worker)
        {
            throw new InvalidDataException($"{what}: key get-{worker} holds the document of worker {document.Seq}");
        }
    }
}
