namespace Runner.Output;

public enum OutputSource
{
    App,
    Dapr,
    Infra,
}

/// <summary>
/// Builds the Dapr CLI's line prefixes (<c>== APP - catalog ==</c>, <c>== DAPR - catalog ==</c>);
/// each app keeps one colour so its app and sidecar lines are easy to pair up.
/// </summary>
public sealed class LogPrefixer(bool useColor)
{
    private static readonly string[] Palette =
        [Ansi.Cyan, Ansi.Magenta, Ansi.Green, Ansi.Yellow, Ansi.BrightBlue, Ansi.BrightMagenta, Ansi.BrightCyan, Ansi.Blue];

    private readonly Dictionary<string, string> _colors = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public string Prefix(OutputSource source, string name)
    {
        var label = source switch
        {
            OutputSource.App => $"== APP - {name} ==",
            OutputSource.Dapr => $"== DAPR - {name} ==",
            _ => $"== INFRA - {name} ==",
        };
        if (!useColor)
        {
            return label;
        }
        // Sidecar lines are dimmed so the app's own output stands out.
        var color = source == OutputSource.Infra ? Ansi.Gray : ColorFor(name);
        var dim = source == OutputSource.Dapr ? "\u001b[2m" : "";
        return dim + color + label + Ansi.Reset;
    }

    public string Format(OutputSource source, string name, string line) => Prefix(source, name) + " " + line;

    private string ColorFor(string name)
    {
        lock (_gate)
        {
            if (!_colors.TryGetValue(name, out var color))
            {
                color = Palette[_colors.Count % Palette.Length];
                _colors[name] = color;
            }
            return color;
        }
    }
}
