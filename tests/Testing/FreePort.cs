using System.Net;
using System.Net.Sockets;

namespace Dapr.Testing;

/// <summary>Hands out loopback TCP ports that were free a moment ago.</summary>
/// <remarks>
/// A port found this way can still be taken by someone else before the server binds it, so the servers
/// in this library retry with a new port when their bind fails. Inside one process, ports already handed
/// out are never handed out again, which rules out the common collision: two fixtures in the same test
/// run starting at the same time. Across processes (test projects run in parallel) we rely on Linux
/// picking port-0 binds from a random point of the ephemeral range, plus the bind retry.
/// </remarks>
public static class FreePort
{
    private static readonly HashSet<int> HandedOut = [];
    private static readonly Lock Gate = new();

    public static int Next()
    {
        lock (Gate)
        {
            for (var attempt = 0; attempt < 1000; attempt++)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                listener.Stop();
                if (HandedOut.Add(port))
                {
                    return port;
                }
            }

            throw new InvalidOperationException(
                $"Could not find a loopback port that was not already handed out ({HandedOut.Count} handed out so far).");
        }
    }

    /// <summary>True when something accepts TCP connections on 127.0.0.1:<paramref name="port"/>.</summary>
    public static bool IsListening(int port)
    {
        using var client = new TcpClient();
        try
        {
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return false;
        }
    }
}
