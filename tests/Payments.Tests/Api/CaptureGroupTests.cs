using System.Diagnostics.Metrics;
using System.Net;
using Dapr.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Payments.Domain;
using Payments.Infrastructure;
using Payments.Tests.Infrastructure;
using static Payments.Tests.Infrastructure.LedgerClient;

namespace Payments.Tests.Api;

/// <summary>
/// Captures committed in groups (Ledger.Captures.cs). Besides the app, each test runs a second ledger in the test
/// process on the same database: another instance of the service, whose groups can be watched through its metrics.
/// </summary>
[Collection(SharedServers.Collection)]
public sealed class CaptureGroupTests : IClassFixture<PaymentsApiFixture>, IDisposable
{
    private readonly PaymentsApiFixture _fixture;
    private readonly LedgerClient _ledger;
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly MeterListener _listener = new();
    private readonly List<int> _groupSizes = [];
    private long _splits;
    private readonly Ledger _secondInstance;

    public CaptureGroupTests(PaymentsApiFixture fixture)
    {
        _fixture = fixture;
        _ledger = new LedgerClient(fixture.App.Api);
        var instrumentation = new ServiceInstrumentation("payments", _services.GetRequiredService<IMeterFactory>());
        _secondInstance = new Ledger(fixture.App.Store, fixture.App.Database, new LedgerMetrics(instrumentation), NullLogger<Ledger>.Instance);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == instrumentation.Name)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<int>((instrument, value, _, _) =>
        {
            if (instrument.Name == "payments.ledger.capture_group_size")
            {
                lock (_groupSizes)
                {
                    _groupSizes.Add(value);
                }
            }
        });
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            if (instrument.Name == "payments.ledger.capture_group_splits")
            {
                Interlocked.Add(ref _splits, value);
            }
        });
        _listener.Start();
    }

    [Fact]
    public async Task captures_of_one_customer_in_one_group_each_debit_their_own_hold()
    {
        var accountId = await _ledger.OpenAsync(100m);
        var merchantBefore = await _ledger.BalanceOrZeroAsync(SystemAccounts.Merchant);
        var orders = Enumerable.Range(0, 8).Select(_ => NewId("order")).ToArray();
        foreach (var order in orders)
        {
            await OkAsync(await _ledger.AuthorizeAsync(order, accountId, 10m));
        }

        // Each order twice: a repeat in the same group sees the capture before it and changes nothing.
        var outcomes = await Task.WhenAll(orders.Concat(orders).Select(order => _secondInstance.CaptureAsync(order, CancellationToken.None)));

        Assert.All(outcomes, o => Assert.Equal((PaymentStatus.Captured, (Rejection?)null), (o.Value!.Status, o.Rejection)));
        Assert.Contains(_groupSizes, size => size > 1);
        // Opened (1), eight holds, eight debits: one event per capture, however the captures were grouped.
        Assert.Equal((20m, 0m, 20m, 17L), await _ledger.BalancesAsync(accountId));
        Assert.Equal(merchantBefore + 80m, await _ledger.BalanceOrZeroAsync(SystemAccounts.Merchant));
        await AssertSnapshotsMatchEventsAsync(accountId, SystemAccounts.Merchant);
    }

    [Fact]
    public async Task captures_racing_from_two_instances_are_each_applied_once_and_money_is_conserved()
    {
        var totalBefore = await _ledger.TotalAsync();
        var merchantBefore = await _ledger.BalanceOrZeroAsync(SystemAccounts.Merchant);
        var accounts = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => _ledger.OpenAsync(100m)));
        var orders = accounts.SelectMany(account => Enumerable.Range(0, 5).Select(_ => (Account: account, Order: NewId("order")))).ToArray();
        foreach (var (account, order) in orders)
        {
            await OkAsync(await _ledger.AuthorizeAsync(order, account, 10m));
        }

        // Every order captured by both instances at once: their groups race for the merchant stream, and a group that
        // loses is split and committed again half by half.
        var throughApp = orders.Select(async o =>
        {
            using var response = await _ledger.PostAsync($"payments/{o.Order}/capture");
            return response.StatusCode;
        });
        var inProcess = orders.Select(async o => (await _secondInstance.CaptureAsync(o.Order, CancellationToken.None)).Value?.Status);
        var statuses = await Task.WhenAll(throughApp);
        var captured = await Task.WhenAll(inProcess);

        Assert.All(statuses, status => Assert.Equal(HttpStatusCode.OK, status));
        Assert.All(captured, status => Assert.Equal(PaymentStatus.Captured, status));
        Assert.Equal(totalBefore + 400m, await _ledger.TotalAsync());
        Assert.Equal(merchantBefore + 200m, await _ledger.BalanceOrZeroAsync(SystemAccounts.Merchant));
        foreach (var account in accounts)
        {
            Assert.Equal((50m, 0m, 50m, 11L), await _ledger.BalancesAsync(account));
        }

        await AssertSnapshotsMatchEventsAsync([.. accounts, SystemAccounts.Merchant]);
    }

    [Fact]
    public async Task a_capture_that_faults_fails_alone_and_the_rest_of_its_group_is_captured()
    {
        var healthy = await _ledger.OpenAsync(100m);
        var broken = await _ledger.OpenAsync(100m);
        var orders = Enumerable.Range(0, 6).Select(_ => NewId("order")).ToArray();
        foreach (var order in orders)
        {
            await OkAsync(await _ledger.AuthorizeAsync(order, healthy, 10m));
        }

        var faulty = NewId("order");
        await OkAsync(await _ledger.AuthorizeAsync(faulty, broken, 10m));
        // The account holding the faulty payment's money vanishes: its capture cannot be decided.
        foreach (var sql in new[] { "DELETE FROM mt_events WHERE stream_id = $1", "DELETE FROM mt_streams WHERE id = $1", "DELETE FROM mt_doc_account WHERE id = $1" })
        {
            await using var remove = _fixture.App.Database.CreateCommand(sql);
            remove.Parameters.Add(new() { Value = broken });
            Assert.True(await remove.ExecuteNonQueryAsync() > 0, sql);
        }

        // The first capture commits alone (the queue is empty when it arrives); the faulty one is queued behind it with
        // the others, so it lands in a group.
        var first = _secondInstance.CaptureAsync(orders[0], CancellationToken.None);
        var faultyCapture = _secondInstance.CaptureAsync(faulty, CancellationToken.None);
        var rest = orders.Skip(1).Select(order => _secondInstance.CaptureAsync(order, CancellationToken.None)).ToArray();

        var fault = await Assert.ThrowsAsync<InvalidOperationException>(() => faultyCapture);
        Assert.Contains("has no stream", fault.Message, StringComparison.Ordinal);
        Assert.All(await Task.WhenAll([first, .. rest]), o => Assert.Equal(PaymentStatus.Captured, o.Value!.Status));
        // Six in the failing group: split into three and three, the faulty one's three into one and two.
        Assert.Equal(2, Interlocked.Read(ref _splits));
        Assert.Equal((40m, 0m, 40m, 13L), await _ledger.BalancesAsync(healthy));
        Assert.Equal(PaymentStatus.Authorized, (await _secondInstance.GetPaymentAsync(faulty, CancellationToken.None))!.Status);
    }

    private async Task AssertSnapshotsMatchEventsAsync(params string[] accountIds)
    {
        await using var session = _fixture.App.Store.QuerySession();
        foreach (var accountId in accountIds)
        {
            var replayed = await session.Events.AggregateStreamAsync<Account>(accountId);
            var (balance, held, _, version) = await _ledger.BalancesAsync(accountId);
            Assert.Equal((replayed!.Balance, replayed.Held, replayed.Version), (balance, held, version));
        }
    }

    public void Dispose()
    {
        _listener.Dispose();
        _services.Dispose();
    }
}
