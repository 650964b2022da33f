using Dapr.Testing;

namespace Cart.Tests;

/// <summary>xunit v2 only finds collection definitions in the test assembly itself.</summary>
[CollectionDefinition(SharedServers.Collection)]
public sealed class SharedServersCollection : ICollectionFixture<SharedServers>;
