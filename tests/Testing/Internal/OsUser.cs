namespace Dapr.Testing.Internal;

/// <summary>An OS account a child process is started as (PostgreSQL refuses to run as root).</summary>
internal sealed record OsUser(string Name, int Uid, int Gid)
{
    public static async Task<OsUser> LookupAsync(string name)
    {
        var uid = await IdAsync(name, "-u").ConfigureAwait(false);
        var gid = await IdAsync(name, "-g").ConfigureAwait(false);
        return new OsUser(name, uid, gid);
    }

    /// <summary>Makes <paramref name="directory"/> (not its contents) belong to this user.</summary>
    public Task OwnAsync(string directory) =>
        ChildProcess.RunAsync("chown", [$"{Uid}:{Gid}", directory], TimeSpan.FromSeconds(30));

    private static async Task<int> IdAsync(string name, string flag)
    {
        var result = await ChildProcess.RunAsync("id", [flag, name], TimeSpan.FromSeconds(30), throwOnFailure: false)
            .ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"This process runs as root, and PostgreSQL refuses to run as root, so it is started as the OS user '{name}', " +
                $"but that user does not exist (`id {flag} {name}`: {result.Output.Trim()}). " +
                "Installing PostgreSQL with `apt-get install postgresql` creates it, or run the tests as a non-root user.");
        }

        return int.Parse(result.Output.Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
