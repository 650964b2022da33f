using Dapr.Testing;

namespace Catalog.Tests;

[CollectionDefinition(SharedServers.Collection)]
public sealed class SharedServersCollection : ICollectionFixture<SharedServers>;
