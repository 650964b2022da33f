namespace Cart.Tests.Infrastructure;

/// <summary>
/// The classes that start the cart as processes run one at a time: each brings a sidecar, an app and a Redis, and the
/// time-to-live tests measure seconds that a machine busy with other apps would stretch.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CartAppsCollection
{
    public const string Name = "cart apps";
}
