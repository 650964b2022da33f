using Benchmarks.Saga;

namespace Benchmarks.Tests;

public class PgBenchTests
{
    [Fact]
    public void reads_the_tps_line_of_postgresql_15()
    {
        const string output = """
            pgbench (15.14 (Debian 15.14-0+deb12u1))
            transaction type: <builtin: simple update>
            scaling factor: 10
            number of clients: 8
            number of threads: 2
            duration: 15 s
            number of transactions actually processed: 41234
            latency average = 2.910 ms
            initial connection time = 12.345 ms
            tps = 2748.931120 (without initial connection time)
            """;

        Assert.Equal(2748.931120, PgBench.ParseTps(output), 6);
    }

    [Fact]
    public void takes_the_rate_without_connection_setup_from_older_versions()
    {
        const string output = """
            tps = 1200.5 (including connections establishing)
            tps = 1250.25 (excluding connections establishing)
            """;

        Assert.Equal(1250.25, PgBench.ParseTps(output), 6);
    }

    [Fact]
    public void output_without_a_rate_is_an_error_that_shows_it()
        => Assert.Contains("connection refused", Assert.Throws<FormatException>(() => PgBench.ParseTps("pgbench: error: connection refused")).Message);
}
