namespace Persistence;

/// <summary>
/// How a service reaches its own database. <see cref="ConnectionString"/> logs in as the service's own role, which
/// owns only this database; <see cref="AdminConnectionString"/> is for local development only, where the service
/// creates its role and database on start-up. In production both exist before the service starts, and the admin
/// connection string is not configured.
/// </summary>
public sealed record PostgresDatabaseOptions
{
    /// <summary>The service's own connection string, e.g. <c>Host=localhost;Database=customers;Username=customers;Password=...</c>.</summary>
    public required string ConnectionString { get; init; }

    /// <summary>A superuser connection (to the <c>postgres</c> database) used to create the role and database when missing.</summary>
    public string? AdminConnectionString { get; init; }

    /// <summary>
    /// The service reads its own WAL through logical replication, so local provisioning gives its role REPLICATION.
    /// In production that attribute is granted with the role, and pg_hba should admit the role to its own database only
    /// (logical replication connections match ordinary database lines, not the <c>replication</c> keyword).
    /// </summary>
    public bool Replication { get; init; }
}
