using Dapr.Testing;

namespace Recommendations.Tests;

[CollectionDefinition(SharedServers.Collection)]
public sealed class SharedServersCollection : ICollectionFixture<SharedServers>;
