namespace Dapr.Testing.Internal;

/// <summary>A server exited because its port was bound by someone else first.</summary>
internal sealed class PortTakenException(int port, string log)
    : Exception($"Port {port} was taken before the server could bind it. Its log:\n{log.LastLines(20)}");
