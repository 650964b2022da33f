using Dapr.Testing;

namespace Search.Tests;

[CollectionDefinition(SharedServers.Collection)]
public sealed class SharedServersCollection : ICollectionFixture<SharedServers>;
