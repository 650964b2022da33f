using System.Collections;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.Json;

var appId = Environment.GetEnvironmentVariable("APP_ID") ?? "unknown";
var recordDir = Environment.GetEnvironmentVariable("FAKE_RECORD_DIR");
if (!string.IsNullOrEmpty(recordDir))
{
    var env = Environment.GetEnvironmentVariables().Cast<DictionaryEntry>().ToDictionary(e => (string)e.Key, e => (string?)e.Value);
    var record = new { pid = Environment.ProcessId, args, cwd = Environment.CurrentDirectory, env };
    File.WriteAllText(Path.Combine(recordDir, $"app-{appId}.json"), JsonSerializer.Serialize(record));
}

using var stop = new CancellationTokenSource();
using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });

TcpListener? listener = null;
if (int.TryParse(Environment.GetEnvironmentVariable("APP_PORT"), out var port))
{
    listener = new TcpListener(IPAddress.Loopback, port);
    listener.Start();
}
Console.WriteLine($"fake app {appId} started (port {(listener is null ? "none" : port)})");
Console.Error.WriteLine($"fake app {appId} writes to stderr too");

try
{
    while (!stop.IsCancellationRequested)
    {
        if (listener is null)
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        else
        {
            // Accepting and closing is all the runner's TCP health probe needs.
            (await listener.AcceptTcpClientAsync(stop.Token)).Dispose();
        }
    }
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    Console.WriteLine($"fake app {appId} stopping");
}
listener?.Stop();
if (!string.IsNullOrEmpty(recordDir))
{
    File.WriteAllText(Path.Combine(recordDir, $"app-{appId}.stopped"), "graceful");
}
return 0;
