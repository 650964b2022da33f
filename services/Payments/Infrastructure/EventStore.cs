using JasperFx.Events;
using JasperFx.OpenTelemetry;
using JasperFx.Events.Projections;
using Marten;
using Marten.Services.Json.Transformations.SystemTextJson;
using Payments.Domain;
using Weasel.Core;

namespace Payments.Infrastructure;

/// <summary>How the ledger's Marten store is set up; shared with the tests that read and write the store directly.</summary>
public static class EventStore
{
    /// <summary>The name <see cref="FundsDeposited"/> v1 was stored under, before it carried a currency.</summary>
    public const string FundsDepositedV1 = "funds_deposited";

    public const string FundsDepositedV2 = "funds_deposited_v2";

    public static void Configure(StoreOptions options)
    {
        // Account ids are customer ids and names like "merchant", not Guids.
        options.Events.StreamIdentity = StreamIdentity.AsString;
        options.UseSystemTextJsonForSerialization(EnumStorage.AsString, Casing.CamelCase);

        options.Events.MapEventType<FundsDeposited>(FundsDepositedV2);
        // Upcasting: v1 deposits stay in the store as written and become v2 whenever they are read.
        options.Events.Upcast<FundsDeposited>(FundsDepositedV1, JsonTransformations.Upcast(UpcastFundsDepositedV1));
        options.Events.AddEventTypes([
            typeof(FundsHeld), typeof(HoldReleased), typeof(HeldFundsDebited), typeof(FundsDebited), typeof(FundsCredited), typeof(AccountClosed),
            typeof(PaymentAuthorized), typeof(PaymentCaptured), typeof(PaymentVoided), typeof(PaymentRefunded),
            typeof(TransferDebited), typeof(TransferCredited), typeof(TransferRefunded),
        ]);

        // Inline: the snapshot is written in the same transaction as the events, so it is never behind them. Commands
        // start from it (FetchForWriting reads the document and no events), and the API reads balances from it.
        options.Projections.Snapshot<Account>(SnapshotLifecycle.Inline);
        options.Projections.Snapshot<Payment>(SnapshotLifecycle.Inline);
        options.Projections.Snapshot<Transfer>(SnapshotLifecycle.Inline);
        options.Schema.For<DepositReceipt>();

        options.OpenTelemetry.TrackConnections = TrackLevel.Normal;
        options.OpenTelemetry.TrackEventCounters();
        options.OpenTelemetry.TrackFetchForWritingMetrics();
    }

    public static FundsDeposited UpcastFundsDepositedV1(System.Text.Json.JsonDocument v1)
    {
        var data = v1.RootElement;
        return new FundsDeposited(data.GetProperty("depositId").GetString()!, data.GetProperty("amount").GetDecimal(), Money.LegacyCurrency);
    }
}
