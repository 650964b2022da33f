using Dapr.Testing;

namespace Customers.Tests;

/// <summary>
/// Every test that starts processes is in this collection, so they run one after another: the change capture tests
/// measure what was published around a kill, and two such tests racing for two cores would only measure each other.
/// </summary>
[CollectionDefinition(SharedServers.Collection)]
public sealed class SharedServersCollection : ICollectionFixture<SharedServers>;
