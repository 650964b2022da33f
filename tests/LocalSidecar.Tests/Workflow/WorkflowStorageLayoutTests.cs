using System.Text.Json;
using Dapr.DurableTask.Protobuf;
using Dapr.Testing;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using LocalSidecar.Tests.Infrastructure;
using Npgsql;
using StackExchange.Redis;
using Type = Dapr.DurableTask.Protobuf.HistoryEvent.EventTypeOneofCase;

namespace LocalSidecar.Tests.Workflow;

/// <summary>
/// What a finished workflow leaves in the actor state store, read with plain Redis commands and plain SQL: daprd's
/// keys (<c>{appId}||dapr.internal.default.{appId}.workflow||{instanceId}||…</c>, no keyPrefix), protobuf values, and
/// nothing else: the sidecar's own live marker exists only while an instance is unfinished.
/// </summary>
[Collection(SharedServers.Collection)]
public abstract class WorkflowStorageLayoutTests(SharedServers servers) : WorkflowTestBase(servers)
{
    /// <summary>Four turns of the three-activity chain: WorkflowStarted and what it brought, then what the worker did.</summary>
    protected static readonly Type[] ChainHistory =
    [
        Type.WorkflowStarted, Type.ExecutionStarted, Type.TaskScheduled,
        Type.WorkflowStarted, Type.TaskCompleted, Type.TaskScheduled,
        Type.WorkflowStarted, Type.TaskCompleted, Type.TaskScheduled,
        Type.WorkflowStarted, Type.TaskCompleted, Type.ExecutionCompleted,
    ];

    protected string Prefix(string instanceId) => $"{Sidecar.AppId}||dapr.internal.default.{Sidecar.AppId}.workflow||{instanceId}||";

    /// <summary>Reads every stored row of the app as key → protobuf bytes.</summary>
    protected abstract Task<Dictionary<string, byte[]>> RowsAsync();

    [Fact]
    public async Task a_finished_workflow_is_stored_as_daprd_stores_it()
    {
        var id = NewId();
        await RunAsync(TestWorkflows.Chain, "order", id);

        var rows = await RowsAsync();

        var prefix = Prefix(id);
        var expectedKeys = new[] { "metadata", "customStatus" }
            .Concat(Enumerable.Range(0, ChainHistory.Length).Select(i => $"history-{i:D6}"))
            .Select(k => prefix + k)
            .Order(StringComparer.Ordinal);
        // daprd's keys only: the live marker went in the save that finished the instance.
        Assert.Equal(expectedKeys, rows.Keys.Order(StringComparer.Ordinal));

        var metadata = BackendWorkflowStateMetadata.Parser.ParseFrom(rows[prefix + "metadata"]);
        Assert.Equal(new BackendWorkflowStateMetadata { InboxLength = 0, HistoryLength = (ulong)ChainHistory.Length, Generation = 1 }, metadata);

        var history = Enumerable.Range(0, ChainHistory.Length).Select(i => HistoryEvent.Parser.ParseFrom(rows[$"{prefix}history-{i:D6}"])).ToList();
        Assert.Equal(ChainHistory, history.Select(e => e.EventTypeCase));
        Assert.All(history, e => Assert.NotNull(e.Timestamp));
        Assert.Equal(TestWorkflows.Chain, history[1].ExecutionStarted.Name);
        Assert.Equal("\"order\"", history[1].ExecutionStarted.Input);
        Assert.Equal(id, history[1].ExecutionStarted.WorkflowInstance.InstanceId);
        Assert.Equal([0, 1, 2], history.Where(e => e.TaskScheduled is not null).Select(e => e.EventId));
        Assert.Equal([0, 1, 2], history.Where(e => e.TaskCompleted is not null).Select(e => e.TaskCompleted.TaskScheduledId));
        Assert.Equal("\"order-1-2-3\"", history[^1].ExecutionCompleted.Result);
        Assert.Equal(OrchestrationStatus.Completed, history[^1].ExecutionCompleted.WorkflowStatus);

        var customStatus = StringValue.Parser.ParseFrom(rows[prefix + "customStatus"]).Value;
        Assert.Equal(3, JsonDocument.Parse(customStatus).RootElement.GetProperty("step").GetInt32());

    }
}

public sealed class RedisWorkflowStorageLayoutTests(SharedServers servers) : WorkflowStorageLayoutTests(servers)
{
    protected override StoreKind Kind => StoreKind.Redis;

    protected override async Task<Dictionary<string, byte[]>> RowsAsync()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(Servers.Redis.Endpoint);
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        var rows = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        await foreach (var key in server.KeysAsync(pattern: Sidecar.AppId + "||*"))
        {
            // state.redis keeps one hash per key: the value unchanged in "data", the etag in "version".
            Assert.Equal(RedisType.Hash, await redis.GetDatabase().KeyTypeAsync(key));
            var hash = (await redis.GetDatabase().HashGetAllAsync(key)).ToDictionary(e => e.Name.ToString(), e => e.Value);
            Assert.Equal(["data", "version"], hash.Keys.Order(StringComparer.Ordinal));
            Assert.True(long.TryParse(hash["version"].ToString(), out _));
            rows[key.ToString()] = (byte[])hash["data"]!;
        }

        return rows;
    }
}

public sealed class PostgresWorkflowStorageLayoutTests(SharedServers servers) : WorkflowStorageLayoutTests(servers)
{
    private string? _database;

    protected override StoreKind Kind => StoreKind.Postgres;

    protected override async Task<string> ActorStoreYamlAsync()
    {
        _database = await Servers.NewDatabaseAsync("wf_layout");
        return ComponentYaml.Component("statestore", "state.postgresql",
            [("connectionString", ComponentYaml.PgxConnectionString(_database)), ("actorStateStore", "true")]);
    }

    protected override async Task<Dictionary<string, byte[]>> RowsAsync()
    {
        await using var source = NpgsqlDataSource.Create(_database!);
        await using var command = source.CreateCommand("SELECT key, jsonb_typeof(value), value #>> '{}', isbinary FROM state WHERE key LIKE $1");
        command.Parameters.AddWithValue(Sidecar.AppId + "||%");
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var rows = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        while (await reader.ReadAsync(Ct))
        {
            // state.postgresql v1 keeps binary values as a JSON string of base64, flagged isbinary, as daprd writes them.
            Assert.Equal("string", reader.GetString(1));
            Assert.True(reader.GetBoolean(3));
            rows[reader.GetString(0)] = Convert.FromBase64String(reader.GetString(2));
        }

        return rows;
    }
}
