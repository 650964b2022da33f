using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using LocalSidecar.Hosting;
using LocalSidecar.PubSub;
using LocalSidecar.State;
using Proto = Dapr.Client.Autogen.Grpc.v1;
using ProtoCommon = Dapr.Client.Autogen.Grpc.v1;

namespace LocalSidecar.Api.Grpc;

/// <summary>The gRPC face of the sidecar. Each method translates the wire types and delegates; the behaviour lives in the building blocks.</summary>
public sealed class DaprGrpcService(StateService state, PublishService publish, SidecarMetadata metadata, IHostApplicationLifetime lifetime)
{
    private const string JsonContentType = "application/json";

    public async Task<Proto.GetStateResponse> GetState(Proto.GetStateRequest request, ServerCallContext context) => await Guard(async () =>
    {
        var item = await state.GetAsync(request.StoreName, request.Key, context.CancellationToken);
        var response = new Proto.GetStateResponse { Etag = item.ETag ?? "" };
        if (item.Data is not null)
        {
            response.Data = ByteString.CopyFrom(item.Data);
        }

        foreach (var (k, v) in item.Metadata) response.Metadata[k] = v;
        return response;
    });

    public async Task<Proto.GetBulkStateResponse> GetBulkState(Proto.GetBulkStateRequest request, ServerCallContext context) => await Guard(async () =>
    {
        var items = await state.BulkGetAsync(request.StoreName, request.Keys.ToList(), context.CancellationToken);
        var response = new Proto.GetBulkStateResponse();
        foreach (var item in items)
        {
            var bulkItem = new Proto.BulkStateItem { Key = item.Key, Etag = item.ETag ?? "" };
            if (item.Data is not null)
            {
                bulkItem.Data = ByteString.CopyFrom(item.Data);
            }

            foreach (var (k, v) in item.Metadata) bulkItem.Metadata[k] = v;
            response.Items.Add(bulkItem);
        }

        return response;
    });

    public async Task<Empty> SaveState(Proto.SaveStateRequest request, ServerCallContext context) => await Guard(async () =>
    {
        var items = request.States.Select(ToSaveItem).ToList();
        await state.SaveAsync(request.StoreName, items, context.CancellationToken);
        return new Empty();
    });

    public async Task<Empty> DeleteState(Proto.DeleteStateRequest request, ServerCallContext context) => await Guard(async () =>
    {
        await state.DeleteAsync(request.StoreName, request.Key, request.Etag?.Value, ConcurrencyOf(request.Options), context.CancellationToken);
        return new Empty();
    });

    public async Task<Empty> DeleteBulkState(Proto.DeleteBulkStateRequest request, ServerCallContext context) => await Guard(async () =>
    {
        var items = request.States.Select(s => (s.Key, s.Etag?.Value, ConcurrencyOf(s.Options))).ToList();
        await state.DeleteBulkAsync(request.StoreName, items, context.CancellationToken);
        return new Empty();
    });

    public async Task<Empty> ExecuteStateTransaction(Proto.ExecuteStateTransactionRequest request, ServerCallContext context) => await Guard(async () =>
    {
        var items = new List<TransactionItem>(request.Operations.Count);
        foreach (var operation in request.Operations)
        {
            var isDelete = operation.OperationType switch
            {
                "upsert" => false,
                "delete" => true,
                var other => throw DaprApiException.BadRequest("ERR_NOT_SUPPORTED_STATE_OPERATION", $"operation type {other} not supported"),
            };
            items.Add(new TransactionItem(isDelete, ToSaveItem(operation.Request ?? new ProtoCommon.StateItem())));
        }

        await state.TransactAsync(request.StoreName, items, request.Metadata, context.CancellationToken);
        return new Empty();
    });

    public async Task<Empty> PublishEvent(Proto.PublishEventRequest request, ServerCallContext context) => await Guard(async () =>
    {
        await publish.PublishAsync(request.PubsubName, request.Topic, request.Data.Memory, NullIfEmpty(request.DataContentType),
            request.Metadata, Header(context, "traceparent"), Header(context, "tracestate"), context.CancellationToken);
        return new Empty();
    });

    public async Task<Proto.BulkPublishResponse> BulkPublishEvent(Proto.BulkPublishRequest request, ServerCallContext context) => await Guard(async () =>
    {
        var entries = request.Entries
            .Select(e => new BulkPublishEntry(e.EntryId, e.Event.Memory, NullIfEmpty(e.ContentType), e.Metadata))
            .ToList();
        var failures = await publish.BulkPublishAsync(request.PubsubName, request.Topic, entries, request.Metadata,
            Header(context, "traceparent"), Header(context, "tracestate"), context.CancellationToken);
        var response = new Proto.BulkPublishResponse();
        response.FailedEntries.Add(failures.Select(f => new Proto.BulkPublishResponseFailedEntry { EntryId = f.EntryId, Error = f.Error.Message }));
        return response;
    });

    private static string? Header(ServerCallContext context, string name) => NullIfEmpty(context.RequestHeaders.GetValue(name));

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    public Task<Proto.GetMetadataResponse> GetMetadata(Proto.GetMetadataRequest request, ServerCallContext context)
        => Task.FromResult(metadata.ToProto());

    public Task<Empty> SetMetadata(Proto.SetMetadataRequest request, ServerCallContext context)
    {
        metadata.SetExtended(request.Key, request.Value);
        return Task.FromResult(new Empty());
    }

    public Task<Empty> Shutdown(Proto.ShutdownRequest request, ServerCallContext context)
    {
        lifetime.StopApplication();
        return Task.FromResult(new Empty());
    }

    private static SaveItem ToSaveItem(ProtoCommon.StateItem item)
    {
        // daprd decodes the bytes as a JSON document only when the caller says so; otherwise they are opaque bytes.
        var isJson = item.Metadata.TryGetValue("contentType", out var contentType) && contentType == JsonContentType;
        return new SaveItem(item.Key, new StateValue(item.Value.Memory, isJson), item.Etag?.Value, ConcurrencyOf(item.Options), item.Metadata);
    }

    private static Concurrency ConcurrencyOf(ProtoCommon.StateOptions? options)
        => options?.Concurrency switch
        {
            ProtoCommon.StateOptions.Types.StateConcurrency.ConcurrencyFirstWrite => Concurrency.FirstWrite,
            ProtoCommon.StateOptions.Types.StateConcurrency.ConcurrencyLastWrite => Concurrency.LastWrite,
            _ => Concurrency.Unspecified,
        };

    private static async Task<T> Guard<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (DaprApiException e)
        {
            throw new RpcException(new Status(e.GrpcStatus, e.Message));
        }
    }
}
