using Customers.Model;

namespace Customers.Tests.Domain;

public sealed class RowVersionTests
{
    [Fact]
    public void a_version_round_trips_through_its_etag()
    {
        Assert.Equal("\"7\"", RowVersion.ToETag(7));
        Assert.True(RowVersion.TryParse(RowVersion.ToETag(7), out var version));
        Assert.Equal(7, version);
    }

    [Fact]
    public void a_weakened_etag_still_names_the_version()
    {
        Assert.True(RowVersion.TryParse("W/\"12\"", out var version));
        Assert.Equal(12, version);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("*")]
    [InlineData("7")]
    [InlineData("\"\"")]
    [InlineData("\"0\"")]
    [InlineData("\"-1\"")]
    [InlineData("\"abc\"")]
    [InlineData("\"1\", \"2\"")]
    public void anything_but_a_single_version_tag_is_not_a_version(string? ifMatch) =>
        Assert.False(RowVersion.TryParse(ifMatch, out _));
}
