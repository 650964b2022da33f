using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The service's own ActivitySource and Meter, both named <c>Dapr.Services.&lt;appId&gt;</c>.
/// AddServiceDefaults subscribes to every source and meter under <see cref="NamePrefix"/>, so a service
/// gets its spans and instruments exported just by using these (inject <see cref="ServiceInstrumentation"/>).
/// </summary>
public sealed class ServiceInstrumentation : IDisposable
{
    public const string NamePrefix = "Dapr.Services";

    public ServiceInstrumentation(string appId, IMeterFactory meterFactory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(appId);
        ArgumentNullException.ThrowIfNull(meterFactory);

        Name = NameFor(appId);
        ActivitySource = new ActivitySource(Name);
        // The factory owns the meter's lifetime and lets tests observe it through the DI container.
        Meter = meterFactory.Create(Name);
    }

    public static string NameFor(string appId) => $"{NamePrefix}.{appId}";

    public string Name { get; }

    public ActivitySource ActivitySource { get; }

    public Meter Meter { get; }

    public void Dispose() => ActivitySource.Dispose();
}
