using Dapr.Testing;

namespace LocalSidecar.Tests.Infrastructure;

/// <summary>xunit v2 finds collection definitions only in the test assembly itself.</summary>
[CollectionDefinition(SharedServers.Collection)]
public sealed class SharedServersCollection : ICollectionFixture<SharedServers>;
