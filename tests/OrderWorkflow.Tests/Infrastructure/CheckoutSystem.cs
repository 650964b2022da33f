using Dapr.Testing;
using Dapr.Testing.Apps;

namespace OrderWorkflow.Tests.Infrastructure;

/// <summary>
/// The whole checkout system (<see cref="CheckoutApps"/>) for the system tests, with fault injection switched on and
/// the saga's policy shortened so that retries and approval timeouts take a second or two.
/// </summary>
public sealed class CheckoutSystem : IAsyncLifetime
{
    public const string Currency = "EUR";
    public const decimal ApprovalThreshold = 500m;
    public const int RetryMaxAttempts = 3;

    private readonly SharedServers _servers = new();
    private CheckoutApps? _apps;

    private CheckoutApps Apps => _apps ?? throw new InvalidOperationException("not started");

    public DaprApp Customers => Apps.Customers;
    public DaprApp Cart => Apps.Cart;
    public DaprApp Inventory => Apps.Inventory;
    public DaprApp Payments => Apps.Payments;
    public DaprApp Orders => Apps.Orders;
    public DaprApp Workflow => Apps.Workflow;

    public RedisServer Redis => _servers.Redis;

    public Shop Shop { get; private set; } = null!;

    public string Output => Apps.Output;

    public async Task InitializeAsync()
    {
        await _servers.InitializeAsync();
        _apps = await CheckoutApps.StartAsync(_servers.Postgres, _servers.Redis, new SagaSettings
        {
            ApprovalThreshold = ApprovalThreshold,
            // Long enough for the crash test to restart the workflow app and its sidecar while a saga waits for approval.
            ApprovalTimeout = TimeSpan.FromSeconds(15),
            RetryMaxAttempts = RetryMaxAttempts,
            RetryFirstInterval = TimeSpan.FromMilliseconds(200),
            RetryMaxInterval = TimeSpan.FromMilliseconds(500),
            TransferSettleAfter = TimeSpan.Zero,
        }, faultInjection: true);
        Shop = new Shop(this);
    }

    public Task InjectFaultAsync(DaprApp app, string? method, string path, string timing = "Before", int? times = null, int delayMilliseconds = 0) =>
        CheckoutApps.InjectFaultAsync(app, method, path, timing, times, delayMilliseconds);

    public Task<int> StrikesAsync(DaprApp app) => CheckoutApps.StrikesAsync(app);

    public Task ClearFaultsAsync() => Apps.ClearFaultsAsync();

    public async Task DisposeAsync()
    {
        Shop?.Dispose();
        if (_apps is not null)
        {
            await _apps.DisposeAsync();
        }
    }
}
