using System.Text.Json;
using Dapr.Testing;
using Marten;
using Payments.Domain;
using Payments.Infrastructure;
using Payments.Tests.Infrastructure;
using static Payments.Tests.Infrastructure.LedgerClient;

namespace Payments.Tests.Api;

/// <summary>What the service leaves in its event store: events as written, upcast on read, and snapshots in step.</summary>
[Collection(SharedServers.Collection)]
public sealed class EventStoreTests(PaymentsApiFixture fixture) : IClassFixture<PaymentsApiFixture>
{
    private readonly LedgerClient _ledger = new(fixture.App.Api);

    /// <summary>Writes a deposit as the service wrote it before deposits carried a currency, bypassing Marten.</summary>
    private async Task WriteV1DepositAsync(string accountId, string depositId, decimal amount)
    {
        await using var connection = await fixture.App.Database.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var stream = new Npgsql.NpgsqlCommand("INSERT INTO mt_streams (id, type, version) VALUES ($1, 'account', 1)", connection, transaction))
        {
            stream.Parameters.Add(new() { Value = accountId });
            await stream.ExecuteNonQueryAsync();
        }

        await using (var append = new Npgsql.NpgsqlCommand(
            "INSERT INTO mt_events (seq_id, id, stream_id, version, data, type) VALUES (nextval('mt_events_sequence'), $1, $2, 1, $3::jsonb, $4)", connection, transaction))
        {
            append.Parameters.Add(new() { Value = Guid.NewGuid() });
            append.Parameters.Add(new() { Value = accountId });
            append.Parameters.Add(new() { Value = JsonSerializer.Serialize(new { depositId, amount }) });
            append.Parameters.Add(new() { Value = EventStore.FundsDepositedV1 });
            await append.ExecuteNonQueryAsync();
        }

        await transaction.CommitAsync();
    }

    [Fact]
    public async Task a_v1_deposit_without_a_currency_is_read_back_as_v2_in_the_legacy_currency()
    {
        var accountId = NewId("legacy");
        await WriteV1DepositAsync(accountId, "old-1", 25.5m);

        await using (var session = fixture.App.Store.QuerySession())
        {
            var stored = Assert.Single(await session.Events.FetchStreamAsync(accountId));
            Assert.Equal(new FundsDeposited("old-1", 25.5m, "EUR"), stored.Data);
            var replayed = await session.Events.AggregateStreamAsync<Account>(accountId);
            Assert.Equal(("EUR", 25.5m, 1L), (replayed!.Currency, replayed.Balance, replayed.Version));
        }

        var history = Assert.Single(await _ledger.HistoryAsync(accountId));
        Assert.Equal("EUR", history.GetProperty("data").GetProperty("currency").GetString());
        Assert.Equal(25.5m, history.GetProperty("data").GetProperty("amount").GetDecimal());
        // Upcasting reads; it never rewrites what is stored.
        await using var raw = fixture.App.Database.CreateCommand("SELECT data::text FROM mt_events WHERE stream_id = $1");
        raw.Parameters.Add(new() { Value = accountId });
        Assert.False(JsonDocument.Parse((string)(await raw.ExecuteScalarAsync())!).RootElement.TryGetProperty("currency", out _));
    }

    [Fact]
    public async Task a_deposit_onto_a_stream_of_v1_events_continues_from_their_upcast_state()
    {
        var accountId = NewId("legacy");
        await WriteV1DepositAsync(accountId, "old-1", 25.5m);

        var account = await OkAsync(await _ledger.DepositAsync(accountId, 5m));

        Assert.Equal((30.5m, 2L, "EUR"), (account.GetProperty("balance").GetDecimal(), account.GetProperty("version").GetInt64(), account.GetProperty("currency").GetString()));
        Assert.Equal((30.5m, 0m, 30.5m, 2L), await _ledger.BalancesAsync(accountId));
    }

    [Fact]
    public async Task the_inline_snapshot_is_at_the_stream_version_after_every_command()
    {
        var accountId = await _ledger.OpenAsync(100m);
        var orderId = NewId("order");
        await OkAsync(await _ledger.AuthorizeAsync(orderId, accountId, 10m));
        await OkAsync(await _ledger.PostAsync($"payments/{orderId}/capture"));

        await using var command = fixture.App.Database.CreateCommand(
            "SELECT s.version, (d.data ->> 'version')::bigint, (d.data ->> 'balance')::numeric FROM mt_streams s JOIN mt_doc_account d ON d.id = s.id WHERE s.id = $1");
        command.Parameters.Add(new() { Value = accountId });
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(3L, reader.GetInt64(0));
        Assert.Equal(3L, reader.GetInt64(1));
        Assert.Equal(90m, reader.GetDecimal(2));
    }
}
