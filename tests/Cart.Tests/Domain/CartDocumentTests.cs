using Cart.Domain;
using Cart.Infrastructure;

namespace Cart.Tests.Domain;

public sealed class CartDocumentTests
{
    private static readonly CartDocument Document = new(ShoppingCart.Empty("alice"), DateTimeOffset.UnixEpoch, []);

    [Fact]
    public void a_recorded_event_id_is_recognised()
    {
        var document = Document.WithProcessed("e1");

        Assert.True(document.HasProcessed("e1"));
        Assert.False(document.HasProcessed("e2"));
    }

    [Fact]
    public void only_the_latest_event_ids_are_kept()
    {
        var document = Document;
        for (var i = 1; i <= CartDocument.ProcessedEventWindow + 5; i++)
        {
            document = document.WithProcessed($"e{i}");
        }

        Assert.Equal(CartDocument.ProcessedEventWindow, document.ProcessedEventIds.Count);
        Assert.False(document.HasProcessed("e5"));
        Assert.True(document.HasProcessed("e6"));
        Assert.Equal($"e{CartDocument.ProcessedEventWindow + 5}", document.ProcessedEventIds[^1]);
    }
}
