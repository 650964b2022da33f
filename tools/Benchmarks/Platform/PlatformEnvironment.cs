using System.Globalization;
using System.Net.Http.Json;
using Benchmarks.Measurement;
using Benchmarks.Services;
using System.Text.Json;
using Dapr.Client;
using Dapr.Testing;
using LocalSidecar.Hosting;
using Npgsql;
using StackExchange.Redis;

namespace Benchmarks.Platform;

/// <summary>
/// Everything the platform benchmark runs against, all of it throwaway and on loopback: a PostgreSQL and a Redis
/// server (Dapr.Testing), a resources folder with <c>state.redis</c>, <c>state.postgresql</c> and <c>pubsub.redis</c>
/// components, the benchmark's subscriber app, the local sidecar (child process or in-process) with the real Dapr SDK
/// client pointed at it, and the direct clients the baselines use.
/// </summary>
public sealed class PlatformEnvironment : IAsyncDisposable
{
    public const string AppId = "bench";
    public const string RedisStore = "statestore-redis";
    public const string PostgresStore = "statestore-pg";
    public const string PubSub = "pubsub";
    public const string Topic = "bench";
    public const string PostgresTable = "state";

    private readonly OwnedResources _owned = new();

    private PlatformEnvironment()
    {
    }

    public RedisServer Redis { get; private set; } = null!;

    public PostgresServer Postgres { get; private set; } = null!;

    public IRunningSidecar Sidecar { get; private set; } = null!;

    /// <summary>The Dapr SDK, configured as the Dapr CLI configures an app (gRPC and HTTP endpoints of its sidecar).</summary>
    public DaprClient Dapr { get; private set; } = null!;

    /// <summary>Plain HTTP to the sidecar's HTTP API, as an app without the SDK would call it.</summary>
    public HttpClient SidecarHttp { get; private set; } = null!;

    /// <summary>Deliveries the sidecar made to the subscriber app.</summary>
    public DeliveryTracker SidecarDeliveries { get; } = new();

    /// <summary>One multiplexer, as the sidecar's state store and pub/sub each keep one.</summary>
    public ConnectionMultiplexer RedisDirect { get; private set; } = null!;

    /// <summary>A pool of the same size as the sidecar's PostgreSQL store (pgxpool's default, max(4, cores)).</summary>
    public NpgsqlDataSource PostgresDirect { get; private set; } = null!;

    public int PostgresPoolSize { get; } = Math.Max(4, Environment.ProcessorCount);

    /// <summary>The key a store holds for an app's state key (<c>keyPrefix</c> appid, daprd's default).</summary>
    public static string StoreKey(string key) => AppId + "||" + key;

    public static async Task<PlatformEnvironment> StartAsync(SidecarMode mode, TextWriter progress, CancellationToken ct)
    {
        var environment = new PlatformEnvironment();
        try
        {
            await environment.StartCoreAsync(mode, progress, ct).ConfigureAwait(false);
            return environment;
        }
        catch
        {
            await environment.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task StartCoreAsync(SidecarMode mode, TextWriter progress, CancellationToken ct)
    {
        progress.WriteLine("starting Redis and PostgreSQL (Dapr.Testing)…");
        var redisStart = RedisServer.StartAsync(ct: ct);
        var postgresStart = PostgresServer.StartAsync(ct: ct);
        try
        {
            await Task.WhenAll(redisStart, postgresStart).ConfigureAwait(false);
        }
        finally
        {
            // Own whichever started, even when the other failed, so both are stopped.
            if (redisStart.IsCompletedSuccessfully)
            {
                Redis = redisStart.Result;
                _owned.Add(Redis);
            }

            if (postgresStart.IsCompletedSuccessfully)
            {
                Postgres = postgresStart.Result;
                _owned.Add(Postgres);
            }
        }

        var database = new NpgsqlConnectionStringBuilder(await Postgres.CreateDatabaseAsync("bench", ct: ct).ConfigureAwait(false));
        var resources = Directory.CreateTempSubdirectory("bench-resources-");
        _owned.DeleteAtEnd(resources);
        await WriteComponentsAsync(resources, database, ct).ConfigureAwait(false);

        RedisDirect = await ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions
        {
            EndPoints = { { Redis.Host, Redis.Port } },
            AbortOnConnectFail = true,
            ClientName = "bench-direct",
            AllowAdmin = true, // INFO, for redis-server's pid
        }).ConfigureAwait(false);
        _owned.Add(RedisDirect);

        PostgresDirect = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder
        {
            Host = database.Host,
            Port = database.Port,
            Database = database.Database,
            Username = database.Username,
            Password = database.Password,
            MaxPoolSize = PostgresPoolSize,
            ApplicationName = "bench-direct",
        }.ConnectionString);
        _owned.Add(PostgresDirect);

        var appPort = FreePort.Next();
        progress.WriteLine($"starting the subscriber app on port {appPort}…");
        _owned.Add(await BenchSubscriberApp.StartAsync(appPort, PubSub, Topic, SidecarDeliveries, ct).ConfigureAwait(false));

        var options = new SidecarOptions
        {
            AppId = AppId,
            AppPort = appPort,
            HttpPort = FreePort.Next(),
            GrpcPort = FreePort.Next(),
            ResourcesPaths = [resources.FullName],
            NameResolutionDirectory = Path.Combine(resources.FullName, ".names"),
            LogLevel = "warn",
        };
        progress.WriteLine(mode == SidecarMode.Process
            ? $"starting the sidecar: dotnet {SidecarProcess.Executable}…"
            : "starting the sidecar in this process…");
        Sidecar = await Sidecars.StartAsync(mode, options, ct).ConfigureAwait(false);
        _owned.Add(Sidecar);

        Dapr = new DaprClientBuilder().UseGrpcEndpoint(Sidecar.GrpcEndpoint).UseHttpEndpoint(Sidecar.HttpEndpoint).Build();
        _owned.Add((IDisposable)Dapr);
        SidecarHttp = new HttpClient { BaseAddress = new Uri(Sidecar.HttpEndpoint) };
        _owned.Add((IDisposable)SidecarHttp);

        await WaitForSubscriptionAsync(ct).ConfigureAwait(false);
    }

    private async Task WriteComponentsAsync(DirectoryInfo resources, NpgsqlConnectionStringBuilder database, CancellationToken ct)
    {
        // Component files carry pgx's keyword format, as daprd reads it.
        var pgx = $"host={database.Host} port={database.Port} user={database.Username} database={database.Database}"
                  + (string.IsNullOrEmpty(database.Password) ? "" : $" password={database.Password}");
        (string File, string Yaml)[] components =
        [
            ("statestore-redis.yaml", ComponentFile.Yaml(RedisStore, "state.redis", [("redisHost", Redis.Endpoint)])),
            ("statestore-pg.yaml", ComponentFile.Yaml(PostgresStore, "state.postgresql", [("connectionString", pgx), ("tableName", PostgresTable)])),
            ("pubsub.yaml", ComponentFile.Yaml(PubSub, "pubsub.redis", [("redisHost", Redis.Endpoint)])),
        ];
        foreach (var (file, yaml) in components)
        {
            await File.WriteAllTextAsync(Path.Combine(resources.FullName, file), yaml, ct).ConfigureAwait(false);
        }
    }

    private async Task WaitForSubscriptionAsync(CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var metadata = await SidecarHttp.GetFromJsonAsync<JsonElement>("/v1.0/metadata", ct).ConfigureAwait(false);
            if (metadata.TryGetProperty("subscriptions", out var subscriptions) && subscriptions.GetArrayLength() > 0)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the sidecar did not subscribe the app to {PubSub}/{Topic} within 30 s:\n{Sidecar.RecentOutput}");
            }

            await Task.Delay(50, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The processes whose CPU time per operation the report shows: this one (SDK client, direct clients, subscriber
    /// app — and the sidecar too when it runs in-process), the sidecar's, redis-server, and PostgreSQL's postmaster
    /// with its backends.
    /// </summary>
    public async Task<IReadOnlyList<CpuSource>> CpuSourcesAsync()
    {
        if (!CpuSource.Supported)
        {
            return [];
        }

        var sources = new List<CpuSource> { CpuSource.Self(Sidecar is SidecarProcess ? "benchmark" : "benchmark+sidecar") };
        if (Sidecar is SidecarProcess process)
        {
            sources.Add(CpuSource.Process("sidecar", process.ProcessId));
        }

        var info = await RedisDirect.GetServer(Redis.Host, Redis.Port).InfoAsync("server").ConfigureAwait(false);
        var redisPid = info.SelectMany(g => g).Single(kv => kv.Key == "process_id").Value;
        sources.Add(CpuSource.Process("redis", int.Parse(redisPid, CultureInfo.InvariantCulture)));

        // postmaster.pid's first line is the postmaster's pid; every backend is its child.
        var postmaster = (await File.ReadAllLinesAsync(Path.Combine(Postgres.DataDirectory, "postmaster.pid")).ConfigureAwait(false))[0];
        sources.Add(CpuSource.ProcessTree("postgres", int.Parse(postmaster, CultureInfo.InvariantCulture)));
        return sources;
    }

    /// <summary>Stops everything in reverse order of start (<see cref="OwnedResources"/>).</summary>
    public ValueTask DisposeAsync() => _owned.DisposeAsync();
}

/// <summary>A Dapr component file.</summary>
public static class ComponentFile
{
    public static string Yaml(string name, string type, IEnumerable<(string Name, string Value)> metadata)
    {
        var items = string.Concat(metadata.Select(m => $"  - name: {m.Name}\n    value: \"{m.Value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}\"\n"));
        return $"""
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata:
              name: {name}
            spec:
              type: {type}
              version: v1
              metadata:

            """ + items;
    }
}
