namespace Runner.Output;

/// <summary>
/// The one place that writes to the terminal, so lines from many processes never interleave
/// mid-line and colour is decided once.
/// </summary>
public sealed class RunnerConsole(TextWriter output, TextWriter error, bool useColor)
{
    private readonly Lock _gate = new();

    public bool UseColor { get; } = useColor;

    /// <summary>Colour only for a person at a terminal, and never when NO_COLOR is set (https://no-color.org).</summary>
    public static RunnerConsole ForCurrentTerminal() =>
        new(Console.Out, Console.Error,
            !Console.IsOutputRedirected && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR")));

    public void Line(string text)
    {
        lock (_gate)
        {
            output.WriteLine(text);
            output.Flush();
        }
    }

    public void Info(string text) => Line(Paint(Ansi.Cyan, "ℹ ") + text);

    public void Success(string text) => Line(Paint(Ansi.Green, "✓ ") + text);

    public void Warn(string text) => Line(Paint(Ansi.Yellow, "⚠ " + text));

    public void Error(string text)
    {
        lock (_gate)
        {
            error.WriteLine(Paint(Ansi.Red, "✗ " + text));
            error.Flush();
        }
    }

    public string Paint(string color, string text) => UseColor ? color + text + Ansi.Reset : text;
}

public static class Ansi
{
    public const string Reset = "\u001b[0m";
    public const string Red = "\u001b[31m";
    public const string Green = "\u001b[32m";
    public const string Yellow = "\u001b[33m";
    public const string Blue = "\u001b[34m";
    public const string Magenta = "\u001b[35m";
    public const string Cyan = "\u001b[36m";
    public const string BrightBlue = "\u001b[94m";
    public const string BrightMagenta = "\u001b[95m";
    public const string BrightCyan = "\u001b[96m";
    public const string Gray = "\u001b[90m";
}
