using System.Globalization;

namespace Benchmarks.Services.Cart;

/// <summary>One cart update: <c>POST carts/{customer}/items</c> (add) or <c>PUT carts/{customer}/items/{product}</c> (quantity).</summary>
public sealed record CartRequest(HttpMethod Method, string Path, object Body);

/// <summary>
/// Which customer's cart each worker changes next, and how. Customers are split between workers (customer i belongs to
/// worker i mod workers), so two workers never race on one cart: a lost etag race would be the cart retrying, which is
/// contention, not the latency of an update. Each worker walks its customers round-robin; a cart with room gets an
/// item added half of the time, otherwise a line's quantity changes — so every change targets a line that exists and
/// carts stay at most <see cref="MaxLines"/> lines. Products are drawn from a catalogue of <c>products</c>, so the
/// cart's per-product index documents stay small and rarely contended. Deterministic per worker (seeded), and the
/// state lives here rather than in a path, so every path of a scenario continues the same carts.
/// Not thread-safe across workers' calls for the same worker; each worker calls only with its own index.
/// </summary>
public sealed class CartWorkload
{
    public const int MaxLines = 5;
    private readonly int _products;
    private readonly Worker[] _workers;

    public CartWorkload(int workers, int customers, int products)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(customers, workers, nameof(customers));
        ArgumentOutOfRangeException.ThrowIfLessThan(products, MaxLines, nameof(products));
        _products = products;
        _workers = Enumerable.Range(0, workers)
            .Select(w => new Worker(Enumerable.Range(0, customers).Where(c => c % workers == w).Select(Customer).ToArray(), new Random(w)))
            .ToArray();
    }

    public static string Customer(int index) => "bench-customer-" + index.ToString("D6", CultureInfo.InvariantCulture);

    public static string Product(int index) => "bench-product-" + index.ToString("D6", CultureInfo.InvariantCulture);

    public CartRequest Next(int worker)
    {
        var state = _workers[worker];
        var customer = state.Customers[state.Turn++ % state.Customers.Length];
        var lines = state.Lines.TryGetValue(customer, out var held) ? held : state.Lines[customer] = [];
        if (lines.Count == 0 || (lines.Count < MaxLines && state.Random.Next(2) == 0))
        {
            var product = Product(state.Random.Next(_products));
            if (!lines.Contains(product))
            {
                lines.Add(product);
            }

            // Adding a product the cart already holds adds to its quantity: still an add, and still valid.
            return new CartRequest(HttpMethod.Post, $"carts/{customer}/items",
                new { productId = product, sku = "SKU-" + product, name = "Name of " + product, unitPrice = 19.90m, currency = "EUR", quantity = 1 });
        }

        var line = lines[state.Random.Next(lines.Count)];
        return new CartRequest(HttpMethod.Put, $"carts/{customer}/items/{line}", new { quantity = 1 + state.Random.Next(9) });
    }

    /// <summary>The carts the workload has touched and the lines it put in them, for checking against the service.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Carts()
        => _workers.SelectMany(w => w.Lines).ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)kv.Value);

    private sealed class Worker(string[] customers, Random random)
    {
        public string[] Customers { get; } = customers;

        public Random Random { get; } = random;

        public Dictionary<string, List<string>> Lines { get; } = new(StringComparer.Ordinal);

        public long Turn { get; set; }
    }
}
