using System.Diagnostics;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace LocalSidecar.Subscriptions;

/// <summary>Where the app listens, and the token daprd sends it (<c>APP_API_TOKEN</c> → header <c>dapr-api-token</c>).</summary>
public sealed record AppChannelOptions(string Address, int Port, string? AppApiToken, TimeSpan PortWaitTimeout)
{
    public const string AppApiTokenVariable = "APP_API_TOKEN";
    public static readonly TimeSpan DefaultPortWaitTimeout = TimeSpan.FromSeconds(60);

    public static AppChannelOptions FromEnvironment(string address, int port)
        => new(address, port, Environment.GetEnvironmentVariable(AppApiTokenVariable) is { Length: > 0 } token ? token : null, DefaultPortWaitTimeout);
}

/// <summary>The sidecar's HTTP connection to its app, used for <c>GET /dapr/subscribe</c> and message delivery.</summary>
public sealed class AppChannel : IDisposable
{
    public const string ApiTokenHeader = "dapr-api-token";
    private static readonly TimeSpan PortPollInterval = TimeSpan.FromMilliseconds(100);

    private readonly AppChannelOptions _options;
    private readonly HttpClient _http;

    public AppChannel(AppChannelOptions options)
    {
        _options = options;
        BaseAddress = new Uri($"http://{options.Address}:{options.Port}/");

        // Delivery time is bounded by resiliency timeouts and the broker's processing timeout, never by HttpClient.
        // Trace headers are written by the sidecar itself (from the event, as daprd does); HttpClient's own propagation would
        // replace them with whatever Activity happens to be ambient on the delivering thread.
        _http = new HttpClient(new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            ActivityHeadersPropagator = DistributedContextPropagator.CreateNoOutputPropagator(),
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    public Uri BaseAddress { get; }

    public AppChannelOptions Options => _options;

    /// <summary>
    /// Waits, like daprd, until the app port accepts TCP connections, but only up to <see cref="AppChannelOptions.PortWaitTimeout"/>:
    /// returns false then, and the caller goes on with a warning instead of hanging start-up.
    /// </summary>
    public async Task<bool> WaitUntilListeningAsync(TimeProvider time, ILogger logger, CancellationToken ct)
    {
        var deadline = time.GetUtcNow() + _options.PortWaitTimeout;
        var announced = false;
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(_options.Address, _options.Port, ct).ConfigureAwait(false);
                return true;
            }
            catch (SocketException) when (time.GetUtcNow() < deadline)
            {
                if (!announced)
                {
                    logger.LogInformation("Waiting for the app to listen on {Address}:{Port} before reading its subscriptions", _options.Address, _options.Port);
                    announced = true;
                }
            }
            catch (SocketException e)
            {
                logger.LogWarning(e, "The app did not listen on {Address}:{Port} within {Timeout}; going on without waiting", _options.Address, _options.Port, _options.PortWaitTimeout);
                return false;
            }

            await Task.Delay(PortPollInterval, time, ct).ConfigureAwait(false);
        }
    }

    public HttpRequestMessage CreateRequest(HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, new Uri(BaseAddress, path.TrimStart('/')));
        if (_options.AppApiToken is { } token)
        {
            request.Headers.TryAddWithoutValidation(ApiTokenHeader, token);
        }

        return request;
    }

    public Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        => _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);

    public void Dispose() => _http.Dispose();
}
