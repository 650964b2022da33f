using Dapr.Testing;

namespace OrderWorkflow.Tests;

/// <summary>
/// The system tests share one running system (six apps, six sidecars) and take turns: each starts and stops faults
/// and processes that the others would feel. Every test uses its own customers, SKUs and order ids.
/// </summary>
[CollectionDefinition(CheckoutSystemCollection.Name)]
public sealed class CheckoutSystemCollection : ICollectionFixture<Infrastructure.CheckoutSystem>
{
    public const string Name = "checkout system";
}
