using Dapr.Testing;
using Payments.Tests.Infrastructure;

namespace Payments.Tests.Api;

/// <summary>One payments app for a test class, on its own database (and role) of the shared PostgreSQL.</summary>
public sealed class PaymentsApiFixture : IAsyncLifetime
{
    private readonly SharedServers _servers = new();
    private PaymentsApp? _app;

    public PaymentsApp App => _app ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync()
    {
        // xunit v2 gives a class fixture no collection fixture; SharedServers hands every instance the same servers.
        await _servers.InitializeAsync();
        // Roles are cluster-wide and the shared server outlives this class: the database and role get a name of their own.
        _app = await PaymentsApp.StartAsync(_servers.Postgres, database: "payments_" + Guid.NewGuid().ToString("N")[..8]);
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
