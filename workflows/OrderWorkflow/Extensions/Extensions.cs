using Dapr.Client;
using Dapr.Workflow;
using OrderWorkflow.Checkout;
using OrderWorkflow.Checkout.Activities;
using OrderWorkflow.Infrastructure;
using OrderWorkflow.Transfers;
using OrderWorkflow.Transfers.Activities;

namespace OrderWorkflow.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<SagaOptions>()
            .Bind(builder.Configuration.GetSection(SagaOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        // InvocationHandler turns http://{app-id}/{method} into the sidecar's invoke API (DAPR_HTTP_ENDPOINT or
        // DAPR_HTTP_PORT, with DAPR_API_TOKEN): the workflows reach other services through their sidecar only.
        // Without the factory's request logging: every step is a span of its own already (HttpClient instrumentation),
        // and the two logging handlers opened a log scope per call even with Information off.
        builder.Services.AddHttpClient(ServiceInvoker.HttpClientName, client => client.Timeout = TimeSpan.FromSeconds(15))
            .AddHttpMessageHandler(() => new InvocationHandler())
            .RemoveAllLoggers();
        builder.Services.AddSingleton<ServiceInvoker>();

        builder.Services.AddDaprWorkflow(options =>
        {
            options.RegisterWorkflow<OrderSaga>();
            options.RegisterActivity<ReserveStock>();
            options.RegisterActivity<ReleaseStock>();
            options.RegisterActivity<AuthorizePayment>();
            options.RegisterActivity<VoidPayment>();
            options.RegisterActivity<CapturePayment>();
            options.RegisterActivity<RefundPayment>();
            options.RegisterActivity<ConfirmOrder>();
            options.RegisterActivity<CancelOrder>();
            options.RegisterActivity<FlagOrderForAttention>();

            options.RegisterWorkflow<TransferWorkflow>();
            options.RegisterActivity<DebitSource>();
            options.RegisterActivity<CreditDestination>();
            options.RegisterActivity<RefundSource>();
        });

        builder.Services.AddValidation();
        builder.Services.AddOpenApi();
    }
}
