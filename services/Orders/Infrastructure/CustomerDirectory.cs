using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using Orders.Domain;

namespace Orders.Infrastructure;

/// <summary>
/// Finds the customer an order copies: in orders' own replica (<see cref="CustomerReplica"/>), kept by the events of
/// topic customers; only when orders has not heard of the customer yet (its created event is still on the way, or it
/// predates orders' subscription) from the customers app through this app's sidecar, keeping the answer.
/// </summary>
/// <remarks>
/// A replica trades freshness for independence: an order may copy a name changed a moment ago (the update event then
/// refreshes the order as well), or be placed for a customer deleted within the event lag. In return a checkout needs
/// neither customers nor two sidecar hops; the saga benchmark's note in tools/Benchmarks/README.md says what it saved.
/// </remarks>
public sealed class CustomerDirectory(NpgsqlDataSource database, SidecarInvoker sidecar)
{
    public const string CustomersAppId = "customers";

    /// <returns>The copy to keep with the order, or null when the customer is unknown or deleted.</returns>
    /// <exception cref="HttpRequestException">On a miss, customers (or the way to it) failed: a fault, not an answer.</exception>
    public async Task<CustomerCopy?> FindAsync(Guid customerId, CancellationToken ct)
    {
        switch (await CustomerReplica.ReadAsync(database, customerId, ct))
        {
            case ReplicatedCustomer.Live(var copy):
                return copy;
            case ReplicatedCustomer.Deleted:
                return null;
        }

        if (await AskCustomersAsync(customerId, ct) is not { } fetched)
        {
            return null;
        }

        await using var batch = database.CreateBatch();
        batch.BatchCommands.Add(CustomerReplica.Keep(customerId, fetched));
        await batch.ExecuteNonQueryAsync(ct);
        return fetched;
    }

    private async Task<CustomerCopy?> AskCustomersAsync(Guid customerId, CancellationToken ct)
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
