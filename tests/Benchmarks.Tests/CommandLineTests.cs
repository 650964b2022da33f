using Benchmarks.Cli;

namespace Benchmarks.Tests;

public class CommandLineTests
{
    [Theory]
    [InlineData("10s", 10_000)]
    [InlineData("500ms", 500)]
    [InlineData("1.5s", 1_500)]
    [InlineData("2m", 120_000)]
    [InlineData("3", 3_000)]
    [InlineData("0s", 0)]
    public void durations_take_a_unit(string text, double milliseconds)
        => Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), CommandLine.ParseDuration(text));

    [Theory]
    [InlineData("")]
    [InlineData("ten")]
    [InlineData("-1s")]
    [InlineData("5h")]
    public void bad_durations_are_refused(string text) => Assert.Null(CommandLine.ParseDuration(text));

    [Fact]
    public void flags_take_both_spellings_and_defaults_fill_the_rest()
    {
        var line = CommandLine.Parse(["--duration", "5s", "--concurrency=4"]);

        Assert.Equal(TimeSpan.FromSeconds(5), line.Duration("duration", TimeSpan.FromSeconds(10), TimeSpan.Zero));
        Assert.Equal(4, line.Int("concurrency", 16, 1, 100));
        Assert.Equal(1024, line.Int("payload", 1024, 1, 100_000));
        line.EnsureAllRead();
    }

    [Fact]
    public void an_unknown_flag_is_an_error_not_a_default_run()
    {
        var line = CommandLine.Parse(["--duraton", "5s"]);
        line.Duration("duration", TimeSpan.FromSeconds(10), TimeSpan.Zero);

        Assert.Contains("--duraton", Assert.Throws<UsageException>(line.EnsureAllRead).Message);
    }

    [Theory]
    [InlineData("--concurrency")]
    [InlineData("platform")]
    public void malformed_lines_are_refused(string arg) => Assert.Throws<UsageException>(() => CommandLine.Parse([arg]));

    [Fact]
    public void out_of_range_values_are_refused()
    {
        var line = CommandLine.Parse(["--concurrency", "0", "--duration", "10ms"]);

        Assert.Throws<UsageException>(() => line.Int("concurrency", 16, 1, 100));
        Assert.Throws<UsageException>(() => line.Duration("duration", TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(100)));
    }
}
