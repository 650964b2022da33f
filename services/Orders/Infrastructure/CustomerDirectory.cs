using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Orders.Domain;

namespace Orders.Infrastructure;

/// <summary>Reads a customer from the customers app, through this app's sidecar (service invocation).</summary>
public sealed class CustomerDirectory(SidecarInvoker sidecar)
{
    public const string CustomersAppId = "customers";

    /// <returns>The copy to keep with the order, or null when customers does not know the id.</returns>
    /// <exception cref="HttpRequestException">Customers (or the way to it) failed: a fault, not an answer.</exception>
    public async Task<CustomerCopy?> FindAsync(Guid customerId, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, SidecarInvoker.MethodUri(CustomersAppId, $"customers/{customerId}"));
        using var response = await sidecar.SendAsync(request, ct);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        response.EnsureSuccessStatusCode();
        var customer = await response.Content.ReadFromJsonAsync<CustomerResponse>(JsonSerializerOptions.Web, ct);
        return customer is { Name: { } name, Email: { } email, Version: > 0 }
            ? new CustomerCopy(name, email, customer.Version)
            : throw new InvalidDataException($"customers answered GET customers/{customerId} with a customer lacking name, e-mail or version");
    }

    /// <summary>The fields of customers' <c>Customer</c> that an order keeps.</summary>
    private sealed record CustomerResponse(string? Name, string? Email, int Version);
}
