using Npgsql;

namespace Dapr.Testing.Tests;

internal static class Sql
{
    public static async Task<T> ScalarAsync<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}

internal static class Processes
{
    /// <summary>Alive means running: a zombie nobody reaped yet (PID 1 in a container may not) counts as gone.</summary>
    public static bool IsAlive(int pid)
    {
        var stat = $"/proc/{pid}/stat";
        if (!File.Exists(stat))
        {
            return false;
        }

        string text;
        try
        {
            text = File.ReadAllText(stat);
        }
        catch (IOException)
        {
            return false; // exited between the two calls
        }

        // Format: "pid (comm) state ..."; comm may contain spaces and parentheses, so split after the last ')'.
        var state = text[(text.LastIndexOf(')') + 2)..][0];
        return state is not ('Z' or 'X');
    }

    public static int PostmasterPid(string dataDirectory) =>
        int.Parse(File.ReadLines(Path.Combine(dataDirectory, "postmaster.pid")).First());

    /// <summary>The real uid of a process, from /proc.</summary>
    public static int Uid(int pid) =>
        int.Parse(File.ReadLines($"/proc/{pid}/status")
            .First(line => line.StartsWith("Uid:", StringComparison.Ordinal))
            .Split('\t', StringSplitOptions.RemoveEmptyEntries)[1]);

    public static async Task<bool> EventuallyAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(50);
        }

        return true;
    }
}
