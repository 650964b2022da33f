using Dapr.Testing;
using Inventory.Tests.Infrastructure;

namespace Inventory.Tests;

/// <summary>
/// Every test that starts processes is in this collection, so they run one after another: the concurrency tests need the
/// two cores to themselves to race for real. One inventory app serves the whole collection; each test uses SKUs and
/// order ids of its own, so none sees another's stock.
/// </summary>
[CollectionDefinition(SharedServers.Collection)]
public sealed class SharedServersCollection : ICollectionFixture<SharedServers>, ICollectionFixture<InventoryApp>;
