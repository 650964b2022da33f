using Benchmarks.Cli;
using Benchmarks.Services.Cart;
using Benchmarks.Services.Cdc;
using Benchmarks.Services.Search;

namespace Benchmarks.Tests;

public class ServiceWorkloadTests
{
    [Fact]
    public void load_flags_default_per_command_and_a_zero_rate_is_a_closed_loop()
    {
        var defaults = LoadFlags.Read(CommandLine.Parse([]), defaultConcurrency: 8, defaultRate: 100);
        Assert.Equal(8, defaults.Concurrency);
        Assert.Equal(100, defaults.Rate);

        var line = CommandLine.Parse(["--rate", "0", "--concurrency", "2", "--duration", "3s"]);
        var flat = LoadFlags.Read(line, defaultConcurrency: 8, defaultRate: 100);
        line.EnsureAllRead();
        Assert.Null(flat.Rate);
        Assert.Equal(2, flat.Concurrency);
        Assert.Equal(TimeSpan.FromSeconds(3), flat.Duration);
    }

    [Fact]
    public void cart_workers_never_share_a_customer_and_only_change_lines_their_carts_hold()
    {
        const int workers = 4;
        var workload = new CartWorkload(workers, customers: 10, products: 50);
        var owners = new Dictionary<string, int>();
        var held = new Dictionary<string, HashSet<string>>();
        for (var turn = 0; turn < 500; turn++)
        {
            var worker = turn % workers;
            var request = workload.Next(worker);
            var parts = request.Path.Split('/');
            var customer = parts[1];
            Assert.Equal(worker, owners.TryAdd(customer, worker) ? worker : owners[customer]);
            var lines = held.TryGetValue(customer, out var l) ? l : held[customer] = [];
            if (request.Method == HttpMethod.Post)
            {
                lines.Add((string)request.Body.GetType().GetProperty("productId")!.GetValue(request.Body)!);
            }
            else
            {
                Assert.Equal(HttpMethod.Put, request.Method);
                Assert.Contains(parts[3], lines);
            }

            Assert.InRange(lines.Count, 1, CartWorkload.MaxLines);
        }

        Assert.Equal(10, owners.Count);
        Assert.Equal(held.ToDictionary(kv => kv.Key, kv => kv.Value.Order().ToList()),
            workload.Carts().ToDictionary(kv => kv.Key, kv => kv.Value.Order().ToList()));
    }

    [Fact]
    public void the_search_catalogue_is_deterministic_and_half_french()
    {
        Assert.Equal(SearchCatalog.Product(1234), SearchCatalog.Product(1234));
        var languages = Enumerable.Range(0, 1000).Select(i => SearchCatalog.Product(i).Language).ToList();
        Assert.Equal(500, languages.Count(l => l == "fr"));
        Assert.Equal(500, languages.Count(l => l == "en"));
    }

    [Fact]
    public void searches_are_escaped_as_a_browser_would_send_them()
    {
        var query = new SearchQuery("crème brûlée -\"dark\"", "kitchen", 2, 20);
        Assert.Equal("search?q=cr%C3%A8me%20br%C3%BBl%C3%A9e%20-%22dark%22&category=kitchen&page=2&pageSize=20", query.PathAndQuery);
        Assert.Equal("search?q=tea&page=1&pageSize=20", new SearchQuery("tea", null, 1, 20).PathAndQuery);
    }

    [Fact]
    public async Task cdc_arrivals_match_updates_by_the_name_they_wrote_and_count_the_rest()
    {
        var arrivals = new CdcArrivals();
        var expected = arrivals.Expect(42);
        var arrival = new CdcArrival(1, DateTime.UtcNow, DateTime.UtcNow);

        arrivals.Arrived("seed-7", arrival);
        arrivals.Arrived(CdcArrivals.NameOf(41), arrival);
        arrivals.Arrived(CdcArrivals.NameOf(42), arrival);

        Assert.Equal(arrival, await expected);
        Assert.Equal(2, arrivals.Others);
    }
}
