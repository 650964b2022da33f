using Marten;

namespace Payments.Infrastructure;

/// <summary>Creates or updates Marten's tables and functions before Kestrel accepts the first request.</summary>
public sealed class EventStoreSchema(IDocumentStore store, ILogger<EventStoreSchema> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await store.Storage.Database.ApplyAllConfiguredChangesToDatabaseAsync(ct: cancellationToken);
        logger.LogInformation("The event store's schema is up to date");
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
