namespace Customers.Model;

/// <summary>A customer profile as stored, and as the API and the change events show it.</summary>
/// <param name="Version">Starts at 1 and grows by one with every update: the ETag for optimistic concurrency, and what lets
/// a consumer of the change events tell a newer copy from an older one.</param>
public sealed record Customer(
    Guid Id,
    string Email,
    string Name,
    string? Phone,
    int Version,
    DateTime CreatedAt,
    DateTime UpdatedAt);
