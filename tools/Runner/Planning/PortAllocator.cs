using System.Net;
using System.Net.Sockets;

namespace Runner.Planning;

public interface IPortAllocator
{
    /// <summary>A port nobody listens on and that this allocator has not handed out before.</summary>
    int AllocateFree();

    bool IsFree(int port);
}

/// <summary>Asks the OS for ephemeral ports on loopback, the way the Dapr CLI's freeport does.</summary>
public sealed class LoopbackPortAllocator : IPortAllocator
{
    private readonly HashSet<int> _handedOut = [];

    public int AllocateFree()
    {
        // The OS may hand back a port we gave out a moment ago because nothing listens on it yet.
        for (var attempt = 0; attempt < 100; attempt++)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            if (_handedOut.Add(port))
            {
                return port;
            }
        }
        throw new InvalidOperationException("could not find a free TCP port on 127.0.0.1 after 100 attempts");
    }

    public bool IsFree(int port)
    {
        // Binding to any address catches servers that listen on 0.0.0.0 as well as on loopback.
        try
        {
            using var listener = new TcpListener(IPAddress.Any, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
