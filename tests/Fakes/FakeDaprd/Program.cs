using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

// Only the flags the runner's test needs are read; everything is recorded so the test can assert on the full list.
string? Flag(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

var appId = Flag("--app-id") ?? "unknown";
var httpPort = int.Parse(Flag("--dapr-http-port") ?? throw new InvalidOperationException("--dapr-http-port is required"));

var recordDir = Environment.GetEnvironmentVariable("FAKE_RECORD_DIR");
if (!string.IsNullOrEmpty(recordDir))
{
    var record = new { pid = Environment.ProcessId, args, cwd = Environment.CurrentDirectory };
    File.WriteAllText(Path.Combine(recordDir, $"daprd-{appId}.json"), JsonSerializer.Serialize(record));
}

using var stop = new CancellationTokenSource();
using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });

var listener = new TcpListener(IPAddress.Loopback, httpPort);
listener.Start();
Console.WriteLine($"fake daprd for {appId} listening on {httpPort}");
Console.Error.WriteLine($"fake daprd for {appId} writes to stderr too");

try
{
    while (!stop.IsCancellationRequested)
    {
        using var client = await listener.AcceptTcpClientAsync(stop.Token);
        using var stream = client.GetStream();
        using var reader = new StreamReader(stream, Encoding.ASCII, leaveOpen: true);
        var requestLine = await reader.ReadLineAsync(stop.Token) ?? "";
        while (!string.IsNullOrEmpty(await reader.ReadLineAsync(stop.Token)))
        {
            // Headers are not needed; reading them keeps the client from seeing a reset.
        }
        var status = requestLine.StartsWith("GET /v1.0/healthz ", StringComparison.Ordinal) ? "204 No Content" : "404 Not Found";
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"), stop.Token);
    }
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    Console.WriteLine($"fake daprd for {appId} stopping");
}
listener.Stop();
return 0;
