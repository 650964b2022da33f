namespace Dapr.Testing;

/// <summary>How the connection strings <see cref="PostgresServer"/> hands out size and prune Npgsql's pool.</summary>
/// <param name="MaxPoolSize">At most this many connections per connection string in each process.</param>
/// <param name="IdleLifetime">Npgsql closes connections that stayed idle this long (Connection Idle Lifetime).</param>
/// <param name="PruningInterval">How often Npgsql looks for idle connections to close (Connection Pruning Interval).</param>
public sealed record ConnectionPool(int MaxPoolSize, TimeSpan IdleLifetime, TimeSpan PruningInterval)
{
    /// <summary>
    /// For tests: a run creates many databases and the server allows 300 connections to all of them, so pools stay
    /// small and let go of idle connections after 10 s.
    /// </summary>
    public static ConnectionPool ForTests { get; } = new(20, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5));

    /// <summary>
    /// As a deployed service keeps it: Npgsql's own idle lifetime (300 s) and pruning interval (10 s), the ones the
    /// connection strings in dapr.yaml get (dapr.yaml caps each pool at 12, for a server of 100 connections; the
    /// servers here allow 300). Under a steady load a pool that lets go after 10 s closes and reopens
    /// connections all the time; each reopening is a new PostgreSQL backend (fork, authentication, cold catalog
    /// caches) whose auto-prepared statements start over. Measured with the saga benchmark: PostgreSQL at ~0.9 cores
    /// with the test pools against ~0.6 with these, and 0.2 cores of the server's idle time was that churn alone.
    /// </summary>
    public static ConnectionPool Deployed { get; } = new(20, TimeSpan.FromSeconds(300), TimeSpan.FromSeconds(10));
}
