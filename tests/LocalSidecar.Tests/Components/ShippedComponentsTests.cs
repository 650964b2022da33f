using Dapr.Testing.Apps;
using LocalSidecar.Components;
using LocalSidecar.PubSub;
using LocalSidecar.State;
using Microsoft.Extensions.Logging.Abstractions;

namespace LocalSidecar.Tests.Components;

/// <summary>The files in components/ are what users run: every app's view of them must load and be understood.</summary>
public sealed class ShippedComponentsTests
{
    private static readonly string Folder = Path.Combine(BuildOutput.RepositoryRoot, "components");

    public static TheoryData<string> AppIds => new() { "catalog", "cart", "customers", "search", "recommendations", "orders", "unknown-app" };

    [Theory]
    [MemberData(nameof(AppIds))]
    public async Task the_shipped_components_load_and_validate_for_every_app(string appId)
    {
        var resources = new ResourceLoader(appId).Load([Folder]);

        foreach (var component in resources.Components)
        {
            switch (component.Category)
            {
                case "state":
                    await StateStoreFactory.Create(component, TimeProvider.System, NullLoggerFactory.Instance).DisposeAsync();
                    break;
                case "pubsub":
                    await PubSubFactory.Create(component, NullLoggerFactory.Instance, TimeProvider.System).DisposeAsync();
                    break;
                case "secretstores":
                    break; // resolved while loading
                default:
                    Assert.Fail($"{component.SourceFile}: category '{component.Category}' is not served by the local sidecar");
                    break;
            }
        }

        Assert.Contains(resources.Components, c => c.Name == "pubsub");
        Assert.Single(resources.Resiliencies);
    }
}
