using Benchmarks.Saga;

namespace Benchmarks.Tests;

public class OpenLoopDriverTests
{
    [Fact]
    public async Task answers_that_come_back_before_their_due_time_count_as_zero_and_every_arrival_is_sent()
    {
        // Ten arrivals within 0.9 ms: none is worth a timer, so all leave at once, most of them before they are due,
        // and each is answered at once. Several rounds, the first one also compiling the driver.
        var schedule = new ArrivalSchedule(10_000, TimeSpan.FromMilliseconds(0.9));
        for (var round = 0; round < 20; round++)
        {
            var sent = await OpenLoopDriver.RunAsync(schedule, k => $"order-{k}",
                (_, _) => Task.FromResult(new CheckoutAnswer(StatusCode: 503, Error: null)), CancellationToken.None);

            Assert.Equal(schedule.Count, sent.Answers.Count);
            Assert.Equal(schedule.Count, sent.AnswerLatency.Count);
            Assert.True(sent.AnswerLatency.MinNanoseconds >= 0);
        }
    }
}
