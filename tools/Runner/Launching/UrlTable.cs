using System.Globalization;
using System.Text;
using Runner.Planning;

namespace Runner.Launching;

/// <summary>The "where is everything" summary printed once all apps are healthy.</summary>
public static class UrlTable
{
    public static string Render(IReadOnlyList<AppLaunchPlan> plans)
    {
        string[] header = ["APP ID", "APP URL", "SIDECAR HTTP", "SIDECAR gRPC"];
        var rows = plans.Select(p => new[]
        {
            p.AppId,
            p.AppPort is { } port ? $"{Scheme(p)}://{p.AppHost}:{port.ToString(CultureInfo.InvariantCulture)}" : "-",
            $"http://127.0.0.1:{p.DaprHttpPort.ToString(CultureInfo.InvariantCulture)}",
            $"127.0.0.1:{p.DaprGrpcPort.ToString(CultureInfo.InvariantCulture)}",
        }).ToList();

        var widths = Enumerable.Range(0, header.Length)
            .Select(i => rows.Select(r => r[i].Length).Append(header[i].Length).Max())
            .ToArray();
        var text = new StringBuilder();
        void Row(string[] cells) =>
            text.AppendLine(string.Join("  ", cells.Select((c, i) => c.PadRight(widths[i]))).TrimEnd());

        Row(header);
        rows.ForEach(Row);
        text.AppendLine();
        foreach (var plan in plans)
        {
            text.AppendLine($"curl http://localhost:{plan.DaprHttpPort.ToString(CultureInfo.InvariantCulture)}/v1.0/invoke/{plan.AppId}/method/health");
        }
        return text.ToString().TrimEnd();
    }

    private static string Scheme(AppLaunchPlan plan) => plan.EffectiveAppProtocol switch
    {
        "https" or "grpcs" => "https",
        _ => "http",
    };
}
