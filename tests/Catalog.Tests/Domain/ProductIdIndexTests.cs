using Catalog.Infrastructure;

namespace Catalog.Tests.Domain;

public sealed class ProductIdIndexTests
{
    [Fact]
    public void a_bucket_keeps_its_ids_sorted_and_each_id_once()
    {
        var bucket = ProductIdIndex.IdBucket.Empty.With("ab3").With("ab1").With("ab2").With("ab1");

        Assert.Equal(["ab1", "ab2", "ab3"], bucket.Ids);
        Assert.True(bucket.Contains("ab2"));
        Assert.False(bucket.Contains("ab4"));
    }

    [Theory]
    [InlineData("00ffffffffffffffffffffffffffffff", 0)]
    [InlineData("a7000000000000000000000000000000", 0xa7)]
    [InlineData("ff000000000000000000000000000000", 255)]
    public void the_bucket_is_named_by_the_first_two_hex_characters(string id, int bucket) => Assert.Equal(bucket, ProductIdIndex.BucketOf(id));
}
