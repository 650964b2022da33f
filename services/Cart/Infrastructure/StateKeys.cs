namespace Cart.Infrastructure;

/// <summary>Keys in the cart's state store. The sidecar prefixes them with the app id (the component's keyPrefix).</summary>
public static class StateKeys
{
    public static string Cart(string customerId) => $"cart:{customerId}";

    public static string ProductCarts(string productId) => $"product-carts:{productId}";
}
