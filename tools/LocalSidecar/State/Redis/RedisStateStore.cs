using System.Globalization;
using LocalSidecar.Components;
using StackExchange.Redis;

namespace LocalSidecar.State.Redis;

/// <summary>
/// <c>state.redis</c> with the storage layout of components-contrib <c>state/redis/redis.go</c>, so daprd and this
/// sidecar can share one Redis: one hash per key holding <c>data</c> (the value bytes exactly as received) and
/// <c>version</c> (an integer raised by HINCRBY on every write, whose decimal form is the etag), plus
/// <c>first-write</c> = <c>0</c> after a single save made with first-write concurrency, as Dapr's script writes it.
/// </summary>
/// <remarks>
/// Deliberate differences from Dapr's component, none of which changes the bytes in Redis:
/// <list type="bullet">
/// <item>Transactions run as one Lua script that checks every etag before it writes anything, so a stale etag
/// anywhere leaves every key untouched. Dapr queues one script per operation in a MULTI pipeline; Redis does not roll
/// back a MULTI, so there the operations before the failing one stay written.</item>
/// <item>first-write without an etag fails on any existing key. Dapr's script only refuses keys that already carry
/// the <c>first-write</c> field, so it lets first-write overwrite a key last written with last-write.</item>
/// <item>last-write always writes. Dapr's script also refuses last-write saves to a key that carries the
/// <c>first-write</c> field, although it ignores the etag.</item>
/// <item>The TTL is applied inside the same script as the write; Dapr sends EXPIRE/PERSIST as a separate command.</item>
/// </list>
/// Kept from Dapr on purpose: last-write ignores the etag entirely; an etag of <c>0</c> means "no etag"; a delete with
/// an etag succeeds on a missing key and compares the etag as text, so a non-integer etag is a mismatch there, not
/// invalid; reads return no <c>ttlExpireTime</c> (components-contrib PR #2873 that would have added it was closed
/// unmerged); a write without a TTL keeps the key's existing expiry; a key holding a plain string (the pre-hash
/// layout) is read with GET and replaced by the next write.
/// </remarks>
public sealed class RedisStateStore(ComponentDefinition definition) : IStateStore
{
    private const string NoETag = "";
    private const string LastWriteMode = "lw";
    private const string FirstWriteMode = "fw";
    private const string NoTtl = "";
    private const string PersistTtl = "persist";
    private const long Mismatch = -1;

    // Functions shared by the scripts. write() reproduces the effect of Dapr's script: a key of another type is
    // deleted first, data is replaced, version goes up by one, first-write is set to 0 when asked (flag "1"), and the
    // TTL is applied (ttl "" keeps the current expiry, "persist" removes it, a number of seconds sets it).
    private const string ScriptFunctions = """
        local function write(key, data, flag, ttl)
          local kind = redis.call("TYPE", key)["ok"]
          if kind ~= "hash" and kind ~= "none" then
            redis.call("DEL", key)
          end
          redis.call("HSET", key, "data", data)
          if flag == "1" then
            redis.call("HSET", key, "first-write", 0)
          end
          local version = redis.call("HINCRBY", key, "version", 1)
          if ttl == "persist" then
            redis.call("PERSIST", key)
          elseif ttl ~= "" then
            redis.call("EXPIRE", key, ttl)
          end
          return version
        end

        -- What the key holds now: whether it is a hash (an existing state entry) and its version.
        local function current(key)
          if redis.call("TYPE", key)["ok"] ~= "hash" then
            return { exists = false, version = false }
          end
          return { exists = true, version = redis.call("HGET", key, "version") }
        end

        -- A stored version that is missing or empty matches any etag, as in Dapr's script.
        local function stale(state, expected)
          return expected ~= "" and state.exists and state.version and state.version ~= "" and state.version ~= expected
        end

        -- mode "fw": the etag must match, or without an etag the key must be new. mode "lw": no check at all.
        local function setRejected(state, mode, expected)
          if mode ~= "fw" then
            return false
          end
          if expected ~= "" then
            return stale(state, expected)
          end
          return state.exists
        end

        """;

    // KEYS[1]=key; ARGV: 1=expected version or "", 2=mode, 3=data, 4=first-write flag, 5=ttl. Returns the new version, or -1.
    private const string SetScript = ScriptFunctions + """
        if setRejected(current(KEYS[1]), ARGV[2], ARGV[1]) then
          return -1
        end
        return write(KEYS[1], ARGV[3], ARGV[4], ARGV[5])
        """;

    // KEYS[1]=key; ARGV[1]=expected version or "". Returns the number of keys deleted, or -1.
    private const string DeleteScript = ScriptFunctions + """
        if stale(current(KEYS[1]), ARGV[1]) then
          return -1
        end
        return redis.call("DEL", KEYS[1])
        """;

    // KEYS[i] is the key of operation i; ARGV holds 5 values per operation: kind ("S" or "D"), mode, expected version,
    // data, ttl. Every check runs first against the state each operation will see after the ones before it; only when
    // all pass is anything written. Returns the version each operation left its key at (0 for a delete), or -i when
    // operation i has a stale etag.
    // Dapr's Multi never passes the first-write flag, so transactions never write the first-write field either.
    private const string TransactionScript = ScriptFunctions + """
        local seen = {}
        for i = 1, #KEYS do
          local key = KEYS[i]
          local at = (i - 1) * 5
          local kind, mode, expected = ARGV[at + 1], ARGV[at + 2], ARGV[at + 3]
          local state = seen[key]
          if state == nil then
            state = current(key)
          end
          if kind == "S" then
            if setRejected(state, mode, expected) then
              return -i
            end
            local before = 0
            if state.exists then
              before = tonumber(state.version) or 0
            end
            seen[key] = { exists = true, version = string.format("%d", before + 1) }
          else
            if stale(state, expected) then
              return -i
            end
            seen[key] = { exists = false, version = false }
          end
        end
        local versions = {}
        for i = 1, #KEYS do
          local at = (i - 1) * 5
          if ARGV[at + 1] == "S" then
            versions[i] = write(KEYS[i], ARGV[at + 4], "0", ARGV[at + 5])
          else
            redis.call("DEL", KEYS[i])
            versions[i] = 0
          end
        end
        return versions
        """;

    private readonly RedisStateSettings _settings = RedisStateSettings.Parse(definition);
    private ConnectionMultiplexer? _connection;
    private IDatabase? _database;

    public StateStoreFeatures Features =>
        StateStoreFeatures.ETag | StateStoreFeatures.Transactional | StateStoreFeatures.Ttl | StateStoreFeatures.ActorStateStore;

    public RedisStateSettings Settings => _settings;

    private IDatabase Database => _database ?? throw new InvalidOperationException($"state store '{definition.Name}' is not initialised");

    public async Task InitAsync(CancellationToken cancellationToken)
    {
        var options = new ConfigurationOptions
        {
            // daprd fails the component's init when the first PING fails; so does this.
            AbortOnConnectFail = true,
            DefaultDatabase = _settings.Database,
            User = _settings.Username,
            Password = _settings.Password,
            Ssl = _settings.EnableTls,
            ClientName = $"local-daprd/{definition.Name}",
        };
        options.EndPoints.Add(_settings.EndPoint);
        if (_settings.DialTimeout is { } dial)
        {
            options.ConnectTimeout = (int)Math.Ceiling(dial.TotalMilliseconds);
        }

        if (_settings.CommandTimeout is { } command)
        {
            options.SyncTimeout = options.AsyncTimeout = (int)Math.Ceiling(command.TotalMilliseconds);
        }

        if (_settings is { EnableTls: true, InsecureSkipTlsVerify: true })
        {
            options.CertificateValidation += (_, _, _, _) => true;
        }

        if (_settings is { EnableTls: true, ClientCertPem: { } cert, ClientKeyPem: { } key })
        {
            var certificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(cert, key);
            options.CertificateSelection += (_, _, _, _, _) => certificate;
        }

        _connection = await ConnectionMultiplexer.ConnectAsync(options).WaitAsync(cancellationToken).ConfigureAwait(false);
        _database = _connection.GetDatabase(_settings.Database);
        await _database.PingAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task PingAsync(CancellationToken cancellationToken)
        => await Database.PingAsync().WaitAsync(cancellationToken).ConfigureAwait(false);

    public Task<StateItem> GetAsync(string key, CancellationToken cancellationToken)
        => ReadAsync(key).WaitAsync(cancellationToken);

    /// <summary>SCAN with a MATCH glob (components-contrib's Redis KeysLike also scans); the glob's own characters in the text are escaped.</summary>
    public async Task<IReadOnlyList<string>> KeysAsync(string prefix, string suffix, CancellationToken cancellationToken)
    {
        var connection = _connection ?? throw new InvalidOperationException($"state store '{definition.Name}' is not initialised");
        var server = connection.GetServer(connection.GetEndPoints()[0]);
        var keys = new List<string>();
        await foreach (var key in server.KeysAsync(_settings.Database, Glob(prefix) + "*" + Glob(suffix), pageSize: 1000).WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            var text = (string)key!;
            if (text.Length >= prefix.Length + suffix.Length && text.StartsWith(prefix, StringComparison.Ordinal) && text.EndsWith(suffix, StringComparison.Ordinal))
            {
                keys.Add(text);
            }
        }

        keys.Sort(StringComparer.Ordinal);
        return keys;

        static string Glob(string text)
        {
            var escaped = new System.Text.StringBuilder(text.Length + 8);
            foreach (var c in text)
            {
                if (c is '*' or '?' or '[' or ']' or '\\')
                {
                    escaped.Append('\\');
                }

                escaped.Append(c);
            }

            return escaped.ToString();
        }
    }

    public async Task<IReadOnlyList<StateItem>> BulkGetAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        // Dapr's bulk get is a loop of single gets; issuing them together only saves round trips.
        var reads = keys.Select(ReadAsync).ToArray();
        return await Task.WhenAll(reads).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task SetAsync(SetOperation operation, CancellationToken cancellationToken)
    {
        var (mode, expected) = WriteCheck(operation);
        var firstWriteFlag = operation.Concurrency == Concurrency.FirstWrite ? "1" : "0";
        var result = await Database.ScriptEvaluateAsync(
                SetScript,
                [operation.Key],
                [expected, mode, operation.Value.Bytes, firstWriteFlag, Ttl(operation)])
            .WaitAsync(cancellationToken).ConfigureAwait(false);
        if ((long)result == Mismatch)
        {
            throw new ETagMismatchException(operation.Key);
        }
    }

    public async Task DeleteAsync(DeleteOperation operation, CancellationToken cancellationToken)
    {
        var result = await Database.ScriptEvaluateAsync(DeleteScript, [operation.Key], [DeleteCheck(operation)])
            .WaitAsync(cancellationToken).ConfigureAwait(false);
        if ((long)result == Mismatch)
        {
            throw new ETagMismatchException(operation.Key);
        }
    }

    public Task ExecuteTransactionAsync(IReadOnlyList<StateOperation> operations, CancellationToken cancellationToken)
        => ExecuteTransactionReturningETagsAsync(operations, cancellationToken);

    /// <summary>The script returns the versions it wrote, so no read follows the transaction.</summary>
    public async Task<IReadOnlyDictionary<string, string>> ExecuteTransactionReturningETagsAsync(IReadOnlyList<StateOperation> operations, CancellationToken cancellationToken)
    {
        var etags = new Dictionary<string, string>(StringComparer.Ordinal);
        if (operations.Count == 0)
        {
            return etags;
        }

        var keys = new RedisKey[operations.Count];
        var values = new RedisValue[operations.Count * 5];
        for (var i = 0; i < operations.Count; i++)
        {
            keys[i] = operations[i].Key;
            var at = i * 5;
            switch (operations[i])
            {
                case SetOperation set:
                    var (mode, expected) = WriteCheck(set);
                    values[at] = "S";
                    values[at + 1] = mode;
                    values[at + 2] = expected;
                    values[at + 3] = set.Value.Bytes;
                    values[at + 4] = Ttl(set);
                    break;
                case DeleteOperation delete:
                    values[at] = "D";
                    values[at + 1] = LastWriteMode;
                    values[at + 2] = DeleteCheck(delete);
                    values[at + 3] = RedisValue.EmptyString;
                    values[at + 4] = NoTtl;
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(operations), operations[i].GetType().Name, "unknown operation");
            }
        }

        var result = await Database.ScriptEvaluateAsync(TransactionScript, keys, values)
            .WaitAsync(cancellationToken).ConfigureAwait(false);
        if (result.Resp2Type == ResultType.Integer)
        {
            throw new ETagMismatchException(operations[(int)(-(long)result) - 1].Key);
        }

        var versions = (long[])result!;
        for (var i = 0; i < operations.Count; i++)
        {
            if (operations[i] is SetOperation)
            {
                etags[operations[i].Key] = versions[i].ToString(CultureInfo.InvariantCulture);
            }
            else
            {
                etags.Remove(operations[i].Key);
            }
        }

        return etags;
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
            _connection = null;
            _database = null;
        }
    }

    private async Task<StateItem> ReadAsync(string key)
    {
        HashEntry[] entries;
        try
        {
            entries = await Database.HashGetAllAsync(key).ConfigureAwait(false);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("WRONGTYPE", StringComparison.Ordinal))
        {
            // Values written before Dapr used hashes are plain strings; Dapr falls back to GET for them, without an etag.
            var legacy = await Database.StringGetAsync(key).ConfigureAwait(false);
            return legacy.IsNull ? StateItem.Missing(key) : new StateItem(key, (byte[])legacy!, null, StateItem.EmptyMetadata);
        }

        if (entries.Length == 0)
        {
            return StateItem.Missing(key);
        }

        byte[]? data = null;
        string? version = null;
        foreach (var entry in entries)
        {
            if (entry.Name == "data")
            {
                data = (byte[]?)entry.Value ?? [];
            }
            else if (entry.Name == "version")
            {
                version = entry.Value.ToString();
            }
        }

        if (data is null || version is null)
        {
            throw new StateStoreException($"key {key}: required hash field 'data' or 'version' was not found");
        }

        return new StateItem(key, data, version, StateItem.EmptyMetadata);
    }

    /// <summary>
    /// Dapr's redis store looks at the etag unless the mode is an explicit last-write (<c>parseETag</c>); there it must be an integer,
    /// compared in its canonical decimal form, and 0 stands for "no etag".
    /// </summary>
    private static (string Mode, string Expected) WriteCheck(SetOperation operation)
    {
        if (operation.Concurrency == Concurrency.LastWrite)
        {
            return (LastWriteMode, NoETag);
        }

        if (string.IsNullOrEmpty(operation.ETag))
        {
            // Without an etag only first-write checks anything (the key must be new); no mode named means upsert.
            return (operation.Concurrency == Concurrency.FirstWrite ? FirstWriteMode : LastWriteMode, NoETag);
        }

        if (!long.TryParse(operation.ETag, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var version))
        {
            throw new ETagInvalidException(operation.Key, operation.ETag);
        }

        return (FirstWriteMode, version == 0 ? NoETag : version.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Deletes check the etag whatever the concurrency, as text, and treat "0" as "no etag", as Dapr's delete script does.</summary>
    private static string DeleteCheck(DeleteOperation operation)
        => string.IsNullOrEmpty(operation.ETag) || operation.ETag == "0" ? NoETag : operation.ETag;

    private string Ttl(SetOperation operation) => (operation.TtlInSeconds ?? _settings.DefaultTtlInSeconds) switch
    {
        null => NoTtl,
        <= 0 => PersistTtl,
        { } seconds => seconds.ToString(CultureInfo.InvariantCulture),
    };
}
