using System.Net.Sockets;

namespace Runner.Infrastructure;

/// <summary>"Is anything listening there?" answered with a plain TCP connect.</summary>
public static class TcpProbe
{
    public static async Task<bool> IsListeningAsync(string host, int port, TimeSpan timeout, CancellationToken cancel)
    {
        using var client = new TcpClient();
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        attempt.CancelAfter(timeout);
        try
        {
            await client.ConnectAsync(host, port, attempt.Token);
            return true;
        }
        catch (SocketException)
        {
            // Refused or unreachable is exactly the "nothing listens" this probe exists to tell.
            return false;
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Polls until something listens; false when <paramref name="timeout"/> passes or <paramref name="givesUp"/> says so.</summary>
    public static async Task<bool> WaitUntilListeningAsync(
        string host, int port, TimeSpan timeout, Func<bool> givesUp, CancellationToken cancel)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline && !givesUp())
        {
            if (await IsListeningAsync(host, port, TimeSpan.FromSeconds(1), cancel))
            {
                return true;
            }
            await Task.Delay(200, cancel);
        }
        return false;
    }
}
