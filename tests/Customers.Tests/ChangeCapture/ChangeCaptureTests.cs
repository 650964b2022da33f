using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Customers.Tests.Infrastructure;
using Dapr.Testing;
using Npgsql;
using NpgsqlTypes;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Customers.Tests.ChangeCapture;

/// <summary>
/// The relay end to end: PostgreSQL (wal_level=logical) → the customers app's relay → its sidecar → pubsub.redis. Each
/// test has a PostgreSQL and a Redis of its own, because it kills processes and reads the whole topic stream.
/// </summary>
[Collection(SharedServers.Collection)]
public sealed class ChangeCaptureTests(ITestOutputHelper output) : IAsyncLifetime
{
    private PostgresServer _postgres = null!;
    private RedisServer _redis = null!;
    private ConnectionMultiplexer _redisClient = null!;
    private CustomersApp _app = null!;
    private PublishedEvents _published = null!;

    private string PubSubComponent => $"""
        apiVersion: dapr.io/v1alpha1
        kind: Component
        metadata:
          name: pubsub
        spec:
          type: pubsub.redis
          version: v1
          metadata:
          - name: redisHost
            value: {_redis.Endpoint}
        """;

    public async Task InitializeAsync()
    {
        var postgres = PostgresServer.StartAsync();
        var redis = RedisServer.StartAsync();
        _postgres = await postgres;
        _redis = await redis;
        _redisClient = await ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString);
        _published = new PublishedEvents(_redisClient);
        _app = await CustomersApp.StartAsync(_postgres, PubSubComponent);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _redisClient.DisposeAsync();
        await _redis.DisposeAsync();
        await _postgres.DisposeAsync();
    }

    private async Task<JsonElement> CreateThroughApiAsync(string email, string name)
    {
        using var response = await _app.Api.PostAsJsonAsync("customers", new { email, name });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private Task<IReadOnlyList<PublishedEvent>> WaitForAsync(Func<IReadOnlyList<PublishedEvent>, bool> done, string what, TimeSpan? timeout = null) =>
        _published.WaitForAsync(done, what, () => _app.Dapr.Output, timeout);

    private static bool HasAllVersions(IReadOnlyList<PublishedEvent> events, IEnumerable<Guid> customers, int lastVersion) =>
        customers.All(id => Enumerable.Range(1, lastVersion).All(v => events.Any(e => e.CustomerId == id && e.Version == v)));

    [Fact]
    public async Task a_customer_created_through_the_api_is_published_as_customer_created_with_its_row()
    {
        var created = await CreateThroughApiAsync("ann@example.org", "Ann");
        var id = created.GetProperty("id").GetGuid();

        var published = (await WaitForAsync(e => e.Count == 1, "customer.created.v1")).Single();

        Assert.Equal("customer.created.v1", published.Type);
        Assert.Equal(id.ToString(), published.Subject);
        Assert.Equal(id, published.CustomerId);
        foreach (var field in new[] { "email", "name", "version", "createdAt", "updatedAt" })
        {
            Assert.Equal(created.GetProperty(field).ToString(), published.Data.GetProperty(field).ToString());
        }

        Assert.Equal(JsonValueKind.Null, published.Data.GetProperty("phone").ValueKind);
        Assert.True(published.Data.GetProperty("committedAt").GetDateTime() >= created.GetProperty("createdAt").GetDateTime());
    }

    [Fact]
    public async Task an_update_through_the_api_is_published_as_customer_updated_with_the_new_row_and_an_lsn_based_id()
    {
        var created = await CreateThroughApiAsync("ann@example.org", "Ann");
        var id = created.GetProperty("id").GetGuid();
        using var update = new HttpRequestMessage(HttpMethod.Put, $"customers/{id}")
        {
            Content = JsonContent.Create(new { email = "ann@example.org", name = "Ann Updated", phone = "555" }),
            Headers = { { "If-Match", "\"1\"" } },
        };
        Assert.Equal(HttpStatusCode.OK, (await _app.Api.SendAsync(update)).StatusCode);
        var endOfUpdate = await _app.CurrentWalLsnAsync();

        var events = await WaitForAsync(e => e.Count == 2, "customer.created.v1 then customer.updated.v1");

        Assert.Equal(["customer.created.v1", "customer.updated.v1"], events.Select(e => e.Type));
        var updated = events[1];
        Assert.Equal(2, updated.Version);
        Assert.Equal("Ann Updated", updated.Name);
        Assert.Equal("555", updated.Data.GetProperty("phone").GetString());

        // {commit LSN}-{index}: each change is alone in its transaction, the update committed after the insert, and no
        // commit can lie past the end of the WAL that was read once the update had returned.
        var lsns = events.Select(e => NpgsqlLogSequenceNumber.Parse(e.Id[..e.Id.LastIndexOf('-')])).ToList();
        Assert.All(events, e => Assert.EndsWith("-0", e.Id));
        Assert.True(lsns[0] < lsns[1], $"{events[0].Id} should be before {events[1].Id}");
        Assert.True(lsns[1] < endOfUpdate, $"{events[1].Id} should be before the end of the WAL, {endOfUpdate}");
    }

    [Fact]
    public async Task the_changes_of_one_transaction_share_its_commit_lsn_and_are_numbered_in_order()
    {
        await using (var connection = await _app.Database.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            foreach (var who in new[] { "ann", "bob", "cat" })
            {
                await using var insert = new NpgsqlCommand("INSERT INTO customers (id, email, name) VALUES ($1, $2, $3)", connection, transaction)
                {
                    Parameters = { new() { Value = Guid.CreateVersion7() }, new() { Value = $"{who}@example.org" }, new() { Value = who } },
                };
                await insert.ExecuteNonQueryAsync();
            }

            await transaction.CommitAsync();
        }

        var events = await WaitForAsync(e => e.Count == 3, "three customer.created.v1 of one transaction");

        Assert.Equal(["ann", "bob", "cat"], events.Select(e => e.Name));
        var commitLsn = events[0].Id[..events[0].Id.LastIndexOf('-')];
        Assert.Equal([$"{commitLsn}-0", $"{commitLsn}-1", $"{commitLsn}-2"], events.Select(e => e.Id));
    }

    [Fact]
    public async Task a_customer_deleted_by_another_writer_is_published_as_customer_deleted_with_its_id()
    {
        var id = await _app.InsertAsync("ann@example.org", "Ann");
        await using (var delete = _app.Database.CreateCommand("DELETE FROM customers WHERE id = $1"))
        {
            delete.Parameters.Add(new() { Value = id });
            Assert.Equal(1, await delete.ExecuteNonQueryAsync());
        }

        var events = await WaitForAsync(e => e.Count == 2, "customer.created.v1 then customer.deleted.v1");

        Assert.Equal(["customer.created.v1", "customer.deleted.v1"], events.Select(e => e.Type));
        Assert.Equal(id, events[1].CustomerId);
        Assert.Equal(["id", "committedAt"], events[1].Data.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task fifty_rapid_updates_of_one_customer_are_published_in_the_order_they_were_committed()
    {
        var id = (await CreateThroughApiAsync("ann@example.org", "Ann")).GetProperty("id").GetGuid();

        for (var n = 1; n <= 50; n++)
        {
            await _app.RenameAsync(id, $"Ann {n}");
        }

        var events = await WaitForAsync(e => e.Count(x => x.Type == "customer.updated.v1") == 50, "50 customer.updated.v1");

        Assert.Equal(Enumerable.Range(1, 51), events.Select(e => e.Version));
        Assert.Equal(Enumerable.Range(1, 50).Select(n => $"Ann {n}"), events.Skip(1).Select(e => e.Name));
    }

    [Fact]
    public async Task no_committed_change_is_lost_when_the_app_is_killed_mid_stream_and_confirmed_ones_are_not_published_again()
    {
        const int customerCount = 10;
        const int rounds = 40;
        var customers = new List<Guid>();
        for (var i = 0; i < customerCount; i++)
        {
            customers.Add(await _app.InsertAsync($"c{i}@example.org", $"c{i} v1"));
        }

        await WaitForAsync(e => e.Count == customerCount, "the customers' creation");

        // A writer that commits half the batch while the relay is at work, and the other half while the app is dead:
        // CDC reads the WAL, not the API, so writers other than the app are captured too.
        var killed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var committed = 0;
        var writer = Task.Run(async () =>
        {
            for (var round = 2; round <= rounds + 1; round++)
            {
                if (round == rounds / 2 + 2)
                {
                    await killed.Task;
                }

                foreach (var id in customers)
                {
                    await _app.RenameAsync(id, $"v{round}");
                    Interlocked.Increment(ref committed);
                }

                await Task.Delay(20);
            }
        });

        try
        {
            await WaitForAsync(e => e.Count >= customerCount + 30, "the relay to be under way", TimeSpan.FromSeconds(60));
        }
        catch
        {
            // The writer must not wait for a kill that will not come.
            killed.TrySetCanceled();
            throw;
        }

        await _app.Dapr.KillAppAsync();
        var publishedAtKill = (await _published.ReadAsync()).Count - customerCount;
        var committedAtKill = Volatile.Read(ref committed);
        killed.SetResult();
        await writer;

        await _app.Dapr.StartAppAsync();
        var events = await WaitForAsync(e => HasAllVersions(e, customers, rounds + 1), "every committed version after the restart", TimeSpan.FromSeconds(60));

        // At least once: every committed change is there; a change published twice has one id and one content both times.
        var byChange = events.GroupBy(e => (e.CustomerId, e.Version)).ToList();
        Assert.Equal(customerCount * (rounds + 1), byChange.Count);
        Assert.All(byChange, copies =>
        {
            Assert.Single(copies.Select(e => e.Id).Distinct());
            Assert.Single(copies.Select(e => e.Data.ToString()).Distinct());
        });
        Assert.Equal(byChange.Count, events.Select(e => e.Id).Distinct().Count());

        // Per customer, the first copy of each version comes in version order.
        Assert.All(customers, id => Assert.Equal(
            Enumerable.Range(1, rounds + 1),
            events.Where(e => e.CustomerId == id).Select(e => e.Version).Distinct()));

        // Bounded duplicates: only what was published but not yet confirmed when the app died goes out again.
        var duplicates = events.Count - byChange.Count;
        output.WriteLine($"killed after {publishedAtKill} of {committedAtKill} committed updates were published; {duplicates} duplicates after the restart");
        Assert.True(duplicates <= 5, $"{duplicates} duplicates after one kill: more than the changes in flight");

        // Once everything is confirmed, another crash and restart publishes nothing again: a fresh change is the next event.
        await _app.WaitUntilConfirmedPastAsync(events.Max(e => e.CommitLsn));
        var before = events.Count;
        await _app.Dapr.KillAppAsync();
        await _app.Dapr.StartAppAsync();
        await _app.RenameAsync(customers[0], "after the second restart");
        var after = await WaitForAsync(e => e.Any(x => x.Name == "after the second restart"), "the change made after the second restart");
        Assert.Equal(before + 1, after.Count);
    }

    [Fact]
    public async Task while_the_sidecar_is_down_the_slot_stays_before_every_unpublished_change_and_publishing_resumes_when_it_is_back()
    {
        var id = (await CreateThroughApiAsync("ann@example.org", "Ann")).GetProperty("id").GetGuid();
        var created = (await WaitForAsync(e => e.Count == 1, "customer.created.v1")).Single();
        await _app.WaitUntilConfirmedPastAsync(created.CommitLsn);

        await _app.Dapr.KillSidecarAsync();
        for (var n = 1; n <= 5; n++)
        {
            await _app.RenameAsync(id, $"Ann {n}");
        }

        // Long enough for the relay to notice, give up on the stream and retry; the slot is watched all along.
        var mostConfirmed = await _app.ConfirmedFlushLsnAsync();
        for (var deadline = DateTime.UtcNow.AddSeconds(3); DateTime.UtcNow < deadline; await Task.Delay(100))
        {
            var confirmed = await _app.ConfirmedFlushLsnAsync();
            mostConfirmed = confirmed > mostConfirmed ? confirmed : mostConfirmed;
        }

        Assert.Single(await _published.ReadAsync());

        await _app.Dapr.StartSidecarAsync();
        var sidecarBack = DateTime.UtcNow;
        var events = await WaitForAsync(e => e.Count(x => x.Type == "customer.updated.v1") >= 5, "the five updates after the sidecar came back");
        var resumedAfter = DateTime.UtcNow - sidecarBack;

        var updates = events.Where(e => e.Type == "customer.updated.v1").ToList();
        Assert.Equal(Enumerable.Range(1, 6), events.Select(e => e.Version).Distinct());
        // Never confirmed past a change the sidecar had not taken: the first update's commit was still ahead of the slot.
        Assert.True(mostConfirmed < updates[0].CommitLsn, $"the slot reached {mostConfirmed} while {updates[0].Id} was unpublished");
        // The relay probes the sidecar every second and its gRPC channel reconnects within one: no minutes of back-off.
        Assert.True(resumedAfter < TimeSpan.FromSeconds(10), $"publishing resumed {resumedAfter.TotalSeconds:0.0} s after the sidecar was back");
        await _app.WaitUntilConfirmedPastAsync(updates.Max(e => e.CommitLsn));
        output.WriteLine($"slot held at {mostConfirmed} (first unpublished commit {updates[0].CommitLsn}); resumed {resumedAfter.TotalMilliseconds:0} ms after the sidecar was back");
    }

    [Fact]
    public async Task an_idle_relay_lets_its_slot_follow_wal_that_other_databases_write()
    {
        await CreateThroughApiAsync("ann@example.org", "Ann");
        var created = (await WaitForAsync(e => e.Count == 1, "customer.created.v1")).Single();
        await _app.WaitUntilConfirmedPastAsync(created.CommitLsn);

        // Another service's database on the same server: its WAL is in the same stream the slot holds back.
        await using (var other = new NpgsqlConnection(_postgres.ConnectionStringFor("postgres")))
        {
            await other.OpenAsync();
            await using var write = new NpgsqlCommand("CREATE TABLE orders AS SELECT g AS id, repeat('x', 100) AS note FROM generate_series(1, 10000) g", other);
            await write.ExecuteNonQueryAsync();
        }

        var endOfOtherWrites = await _app.CurrentWalLsnAsync();

        await _app.WaitUntilConfirmedAsync(endOfOtherWrites, TimeSpan.FromSeconds(45));
        Assert.Single(await _published.ReadAsync());
    }

    [Fact]
    public async Task a_second_instance_stands_by_while_the_first_relays_and_takes_over_when_it_dies()
    {
        await using var second = await CustomersApp.StartAsync(_postgres, PubSubComponent);
        var id = (await CreateThroughApiAsync("ann@example.org", "Ann")).GetProperty("id").GetGuid();
        await _app.RenameAsync(id, "Ann 2");
        var events = await WaitForAsync(e => e.Count == 2, "the creation and the first update");
        await _app.WaitUntilConfirmedPastAsync(events[1].CommitLsn);

        await _app.Dapr.KillAppAsync();
        await _app.RenameAsync(id, "Ann 3");
        events = await _published.WaitForAsync(e => e.Any(x => x.Version == 3), "the update made after the first instance died", () => second.Dapr.Output);

        // One relay at a time: no change went out twice, neither while both ran nor at the hand-over.
        Assert.Equal([1, 2, 3], events.Select(e => e.Version));
    }
}
