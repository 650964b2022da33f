using Benchmarks.Cli;
using Benchmarks.Saga;

namespace Benchmarks.Tests;

public class SagaOptionsTests
{
    [Fact]
    public void the_defaults_are_the_documented_steps()
    {
        var options = SagaOptions.Parse(CommandLine.Parse([]));

        Assert.Equal([25, 50, 100, 150], options.Rates);
        Assert.Equal(TimeSpan.FromSeconds(20), options.Duration);
        Assert.Equal(0, options.HotSkuPercent);
        Assert.Equal(TimeSpan.FromSeconds(15), options.PgbenchDuration);
    }

    [Fact]
    public void flags_set_rates_duration_and_seed()
    {
        var options = SagaOptions.Parse(CommandLine.Parse(
            ["--rates", "10, 20,10", "--duration", "5s", "--customers", "3", "--skus", "4", "--lines", "4", "--hot-sku", "100", "--pgbench-duration", "0"]));

        Assert.Equal([10, 20, 10], options.Rates);
        Assert.Equal(TimeSpan.FromSeconds(5), options.Duration);
        Assert.Equal((3, 4, 4, 100), (options.Customers, options.Skus, options.LinesPerOrder, options.HotSkuPercent));
        Assert.Equal(TimeSpan.Zero, options.PgbenchDuration);
    }

    [Theory]
    [InlineData("")]
    [InlineData("25,,50")]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("12.5")]
    [InlineData("fast")]
    public void bad_rates_are_refused(string rates)
        => Assert.Throws<UsageException>(() => SagaOptions.Parse(CommandLine.Parse(["--rates", rates])));

    [Fact]
    public void an_order_cannot_have_more_distinct_lines_than_there_are_skus()
        => Assert.Contains("--skus", Assert.Throws<UsageException>(() => SagaOptions.Parse(CommandLine.Parse(["--skus", "2", "--lines", "3"]))).Message);

    [Fact]
    public void a_platform_flag_is_not_silently_ignored()
        => Assert.Contains("--concurrency", Assert.Throws<UsageException>(() => SagaOptions.Parse(CommandLine.Parse(["--concurrency", "16"]))).Message);
}
