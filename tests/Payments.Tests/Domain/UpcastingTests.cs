using System.Text.Json;
using Payments.Domain;
using Payments.Infrastructure;

namespace Payments.Tests.Domain;

public sealed class UpcastingTests
{
    [Fact]
    public void a_v1_deposit_becomes_a_v2_deposit_in_the_legacy_currency()
    {
        using var v1 = JsonDocument.Parse("""{ "depositId": "d1", "amount": 12.34 }""");

        Assert.Equal(new FundsDeposited("d1", 12.34m, Money.LegacyCurrency), EventStore.UpcastFundsDepositedV1(v1));
    }
}
