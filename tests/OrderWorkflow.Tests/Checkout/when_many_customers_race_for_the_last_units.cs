using OrderWorkflow.Tests.Infrastructure;

namespace OrderWorkflow.Tests.Checkout;

public sealed class when_many_customers_race_for_the_last_units(CheckoutSystem system) : SagaTest(system)
{
    [Fact]
    public async Task a_hundred_checkouts_on_ten_units_confirm_exactly_ten_and_conserve_money()
    {
        const int checkouts = 100;
        const int units = 10;
        const decimal price = 10m;
        const decimal funds = 50m;
        var sku = await Shop.NewSkuAsync(units);
        var customers = new List<string>();
        foreach (var batch in Enumerable.Range(0, checkouts).Chunk(20))
        {
            customers.AddRange(await Task.WhenAll(batch.Select(_ => Shop.NewCustomerAsync(funds))));
        }

        var totalBefore = await Shop.LedgerTotalAsync();
        var merchantBefore = await Shop.MerchantBalanceAsync();

        var sagas = await Task.WhenAll(customers.Select(customer => Shop.CheckoutAndWaitAsync(customer, Shop.Line(sku, 1, price))));

        Assert.All(sagas, saga => Assert.Equal("Completed", saga.Status));
        var confirmed = sagas.Where(s => s.Output!.Outcome == "Confirmed").ToList();
        var cancelled = sagas.Where(s => s.Output!.Outcome == "Cancelled").ToList();
        Assert.Equal(units, confirmed.Count);
        Assert.Equal(checkouts - units, cancelled.Count);

        var stock = await Shop.GetStockAsync(sku);
        Assert.Equal((units, units, 0), (stock.OnHand, stock.Reserved, stock.Available));

        foreach (var saga in cancelled)
        {
            Assert.Equal("Cancelled", (await Shop.GetOrderAsync(saga.InstanceId)).Status);
            // Refunded or never captured: the payment, if any, is not Captured.
            Assert.NotEqual("Captured", (await Shop.GetPaymentAsync(saga.InstanceId))?.Status);
        }

        var balances = await Task.WhenAll(customers.Select(Shop.GetAccountAsync));
        Assert.All(balances, account => Assert.True(account.Held == 0m && account.Balance >= 0m, $"{account}"));
        Assert.Equal(checkouts * funds - units * price, balances.Sum(account => account.Balance));
        Assert.Equal(merchantBefore + units * price, await Shop.MerchantBalanceAsync());
        Assert.Equal(totalBefore, await Shop.LedgerTotalAsync());
    }
}
