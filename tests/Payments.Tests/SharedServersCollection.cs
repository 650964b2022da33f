using Dapr.Testing;

namespace Payments.Tests;

/// <summary>
/// Every test that starts processes is in this collection, so they run one after another: the concurrency tests race
/// 50 requests, and racing them against another class's requests on two cores would only measure the machine.
/// </summary>
[CollectionDefinition(SharedServers.Collection)]
public sealed class SharedServersCollection : ICollectionFixture<SharedServers>;
