using Dapr.Testing;

namespace Orders.Tests;

/// <summary>The tests that start processes run one after another: eight processes per fixture are plenty for two cores.</summary>
[CollectionDefinition(SharedServers.Collection)]
public sealed class SharedServersCollection : ICollectionFixture<SharedServers>;
