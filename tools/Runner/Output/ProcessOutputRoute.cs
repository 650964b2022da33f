using System.Globalization;
using Runner.RunFiles;

namespace Runner.Output;

/// <summary>
/// Sends one process's lines where the run file says: prefixed to the console, and/or as-is to
/// <c>&lt;appDirPath&gt;/.dapr/logs/&lt;appId&gt;_&lt;app|daprd&gt;_&lt;yyyyMMddHHmmss&gt;.log</c> like the CLI.
/// </summary>
public sealed class ProcessOutputRoute : IDisposable
{
    private readonly RunnerConsole _console;
    private readonly string _prefix;
    private readonly StreamWriter? _file;
    private readonly bool _toConsole;
    private readonly Lock _gate = new();
    private bool _closed;

    private ProcessOutputRoute(RunnerConsole console, string prefix, StreamWriter? file, bool toConsole, string? filePath)
    {
        _console = console;
        _prefix = prefix;
        _file = file;
        _toConsole = toConsole;
        FilePath = filePath;
    }

    public string? FilePath { get; }

    public static ProcessOutputRoute Create(
        RunnerConsole console, LogPrefixer prefixer, OutputSource source, string appId,
        LogDestination destination, string logsDirectory, DateTime startedAt)
    {
        var prefix = prefixer.Prefix(source, appId);
        if (destination == LogDestination.Console)
        {
            return new(console, prefix, null, true, null);
        }
        Directory.CreateDirectory(logsDirectory);
        var kind = source == OutputSource.Dapr ? "daprd" : "app";
        var path = Path.Combine(logsDirectory, $"{appId}_{kind}_{startedAt.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture)}.log");
        var file = new StreamWriter(path, append: true) { AutoFlush = true };
        return new(console, prefix, file, destination == LogDestination.FileAndConsole, path);
    }

    public static ProcessOutputRoute ConsoleOnly(RunnerConsole console, string prefix) => new(console, prefix, null, true, null);

    public void Write(string line)
    {
        if (_toConsole)
        {
            _console.Line(_prefix + " " + line);
        }
        if (_file is not null)
        {
            lock (_gate)
            {
                // A grandchild may still print after shutdown closed the file; the console already showed it.
                if (!_closed)
                {
                    _file.WriteLine(line);
                }
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _closed = true;
            _file?.Dispose();
        }
    }
}
