using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Benchmarks.Cli;
using Benchmarks.Measurement;
using Benchmarks.Platform;
using Dapr.Testing;

namespace Benchmarks.Services.Cart;

/// <summary>
/// <c>cart</c>: cart updates (add an item, change a quantity) through the cart's sidecar, on <c>state.redis</c>, against
/// the same requests sent to the cart app's own port, side by side.
/// </summary>
public sealed class CartCommand : ICommand
{
    public string Name => "cart";

    public string Summary => "cart updates (add item / change quantity) through the cart's sidecar on state.redis, vs the app's own port";

    public string Usage => LoadFlags.Usage + " [--customers 10000] [--products 1000]";

    public async Task<int> RunAsync(CommandLine arguments, CancellationToken cancellationToken)
    {
        var load = LoadFlags.Read(arguments, defaultConcurrency: 16);
        var customers = arguments.Int("customers", 10_000, 1, 10_000_000);
        var products = arguments.Int("products", 1_000, CartWorkload.MaxLines, 10_000_000);
        arguments.EnsureAllRead();
        if (customers < load.Concurrency)
        {
            throw new UsageException($"--customers ({customers}) must be at least --concurrency ({load.Concurrency}): each worker owns its customers");
        }

        return await OwnedResources.UseAsync(owned => RunAsync(owned, load, customers, products, cancellationToken)).ConfigureAwait(false);
    }

    private static async Task<int> RunAsync(OwnedResources owned, LoadSettings load, int customers, int products, CancellationToken cancellationToken)
    {
        var progress = Console.Error;
        var loadBefore = MachineInfo.LoadAverage();
        progress.WriteLine("starting Redis (Dapr.Testing)…");
        var redis = owned.Add(await RedisServer.StartAsync(ct: cancellationToken).ConfigureAwait(false));
        // The cart's own component files (components/cart-store.yaml, components/pubsub.yaml) with this Redis.
        var cart = owned.Add(await ServiceApp.StartAsync("cart", "Cart",
        [
            ("cart-store.yaml", ComponentFile.Yaml("cart-store", "state.redis", [("redisHost", redis.Endpoint), ("keyPrefix", "appid")])),
            ServiceApp.PubSub(redis),
        ], new Dictionary<string, string?>(), progress, cancellationToken).ConfigureAwait(false));
        owned.OnFailurePrint(() => cart.Output);

        var workload = new CartWorkload(load.Concurrency, customers, products);
        var scenario = new Scenario("cart-update", "cart update",
        [
            BenchmarkPath.Timed("app port (no invocation hop)", PathRole.Baseline, (w, ct) => SendAsync(cart.Direct, workload.Next(w), ct)),
            BenchmarkPath.Timed("invoke via sidecar", PathRole.Measured, (w, ct) => SendAsync(cart.ThroughSidecar, workload.Next(w), ct)),
        ]);

        var results = await ServiceRun.MeasureAsync([scenario], load, await ServiceRun.CpuSourcesAsync(null).ConfigureAwait(false), progress, cancellationToken)
            .ConfigureAwait(false);
        var carts = workload.Carts();
        await CheckCartsAsync(cart, carts, cancellationToken).ConfigureAwait(false);

        ServiceRun.Print("Cart benchmark: cart updates through the cart's sidecar", loadBefore, load,
        [
            ("service", "services/Cart (Release) beside local-daprd, cart-store = state.redis (keyPrefix appid), pubsub.redis"),
            ("servers", $"redis-server on {redis.Endpoint} (no persistence)"),
            ("workload", $"{carts.Count.ToString(CultureInfo.InvariantCulture)} of {customers.ToString(CultureInfo.InvariantCulture)} customers' carts touched, " +
                         $"products drawn from {products.ToString(CultureInfo.InvariantCulture)}; each worker owns its customers (no etag races); " +
                         $"a cart with fewer than {CartWorkload.MaxLines} lines gets an add half of the time, otherwise a quantity change"),
        ], results,
        [
            "Both paths run the whole update in the cart app (read the cart with its etag, index a new product, write the cart with\n" +
            "its TTL, each through the app's sidecar state API); the measured path adds the service-invocation hop\n" +
            "(caller → sidecar HTTP → app), so + and × are what calling the cart through Dapr costs over calling it directly.",
        ]);
        return 0;
    }

    private static async Task SendAsync(HttpClient client, CartRequest request, CancellationToken ct)
    {
        using var message = new HttpRequestMessage(request.Method, request.Path) { Content = JsonContent.Create(request.Body) };
        using var response = await client.SendAsync(message, ct).ConfigureAwait(false);
        // The cart answers with the whole cart; reading it is part of the call, as for any client.
        var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"{request.Method} {request.Path} answered {(int)response.StatusCode}: {body}");
        }
    }

    /// <summary>A few carts read back through the sidecar must hold exactly the products the workload put in them.</summary>
    private static async Task CheckCartsAsync(ServiceApp cart, IReadOnlyDictionary<string, IReadOnlyList<string>> carts, CancellationToken ct)
    {
        foreach (var (customer, expected) in carts.OrderBy(kv => kv.Key, StringComparer.Ordinal).Take(20))
        {
            var document = await cart.ThroughSidecar.GetFromJsonAsync<JsonElement>($"carts/{customer}", ct).ConfigureAwait(false);
            var held = document.GetProperty("lines").EnumerateArray().Select(l => l.GetProperty("productId").GetString()!).Order(StringComparer.Ordinal);
            if (!held.SequenceEqual(expected.Order(StringComparer.Ordinal)))
            {
                throw new InvalidOperationException($"the cart of {customer} holds {string.Join(", ", held)}, the benchmark put {string.Join(", ", expected)} in it");
            }
        }
    }
}
