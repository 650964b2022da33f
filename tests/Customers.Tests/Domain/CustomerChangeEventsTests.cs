using Customers.ChangeCapture;
using NpgsqlTypes;

namespace Customers.Tests.Domain;

public sealed class CustomerChangeEventsTests
{
    private static readonly Guid CustomerId = Guid.Parse("0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");
    private static readonly DateTime Created = new(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);
    private static readonly DateTime Committed = Created.AddSeconds(30);
    private static readonly ChangePosition Position = new(NpgsqlLogSequenceNumber.Parse("0/1A2B3C8"), 2, Committed);

    private static Dictionary<string, object?> Row(int version = 3) => new()
    {
        ["id"] = CustomerId,
        ["email"] = "ann@example.org",
        ["name"] = "Ann",
        ["phone"] = null,
        ["version"] = version,
        ["created_at"] = Created,
        ["updated_at"] = Created.AddSeconds(29),
    };

    [Fact]
    public void the_event_id_is_the_commit_lsn_and_the_changes_index_in_its_transaction() =>
        Assert.Equal("0/1A2B3C8-2", Position.EventId);

    [Fact]
    public void an_insert_becomes_customer_created_with_the_whole_row()
    {
        var change = CustomerChangeEvents.ForInsert(Position, Row(version: 1));

        Assert.Equal("customer.created.v1", change.Type);
        Assert.Equal("0/1A2B3C8-2", change.Id);
        Assert.Equal(CustomerId, change.CustomerId);
        Assert.Equal(new CustomerChanged(CustomerId, "ann@example.org", "Ann", null, 1, Created, Created.AddSeconds(29), Committed), change.Data);
    }

    [Fact]
    public void an_update_becomes_customer_updated_with_the_new_row()
    {
        var change = CustomerChangeEvents.ForUpdate(Position, Row(version: 3));

        Assert.Equal("customer.updated.v1", change.Type);
        Assert.Equal(3, Assert.IsType<CustomerChanged>(change.Data).Version);
    }

    [Fact]
    public void a_delete_carries_only_the_id_its_replica_identity_logged()
    {
        var key = new Dictionary<string, object?> { ["id"] = CustomerId, ["email"] = null, ["name"] = null, ["version"] = null };

        var change = CustomerChangeEvents.ForDelete(Position, key);

        Assert.Equal("customer.deleted.v1", change.Type);
        Assert.Equal(new CustomerDeleted(CustomerId, Committed), change.Data);
    }

    [Fact]
    public void the_sidecar_is_told_the_events_id_type_subject_and_partition_key()
    {
        var metadata = CustomerChangeEvents.ForUpdate(Position, Row()).Metadata;

        Assert.Equal("0/1A2B3C8-2", metadata["cloudevent.id"]);
        Assert.Equal("customer.updated.v1", metadata["cloudevent.type"]);
        Assert.Equal(CustomerId.ToString(), metadata["cloudevent.subject"]);
        Assert.Equal(CustomerId.ToString(), metadata["partitionKey"]);
    }

    [Fact]
    public void a_column_added_to_the_table_later_does_not_change_the_event()
    {
        var row = Row();
        row["loyalty_tier"] = "gold";

        Assert.Equal(CustomerChangeEvents.ForUpdate(Position, Row()).Data, CustomerChangeEvents.ForUpdate(Position, row).Data);
    }

    [Fact]
    public void a_row_without_a_required_column_is_refused_rather_than_published_half()
    {
        var row = Row();
        row.Remove("email");

        var error = Assert.Throws<InvalidDataException>(() => CustomerChangeEvents.ForUpdate(Position, row));
        Assert.Contains("email", error.Message);
    }

    [Fact]
    public void changes_later_in_the_wal_have_ids_that_differ_even_within_one_transaction()
    {
        var lsn = NpgsqlLogSequenceNumber.Parse("0/1A2B3C8");
        var ids = new[]
        {
            new ChangePosition(lsn, 0, Committed).EventId,
            new ChangePosition(lsn, 1, Committed).EventId,
            new ChangePosition(NpgsqlLogSequenceNumber.Parse("0/1A2B400"), 0, Committed).EventId,
        };

        Assert.Equal(3, ids.Distinct().Count());
    }
}
