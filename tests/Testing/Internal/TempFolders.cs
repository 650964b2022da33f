using System.Diagnostics;
using System.Globalization;

namespace Dapr.Testing.Internal;

/// <summary>
/// Temp folders for throwaway servers, each marked with the process that made it, so that folders left by
/// a test process that was killed (and so could not clean up) are deleted by the next one that starts a server.
/// </summary>
internal static class TempFolders
{
    public const string PostgresPrefix = "dapr-pg-";
    public const string RedisPrefix = "dapr-redis-";
    internal const string OwnerFile = ".dapr-testing-owner";

    private static readonly Lazy<bool> LeftoversSwept = new(() =>
    {
        SweepLeftovers();
        return true;
    });

    public static string Create(string prefix)
    {
        _ = LeftoversSwept.Value;
        var folder = Directory.CreateTempSubdirectory(prefix).FullName;
        File.WriteAllText(Path.Combine(folder, OwnerFile), Describe(Process.GetCurrentProcess()));
        return folder;
    }

    /// <summary>Deletes marked folders whose owning process is gone; runs once per process, before the first server.</summary>
    internal static void SweepLeftovers()
    {
        var candidates = Directory.EnumerateDirectories(Path.GetTempPath(), PostgresPrefix + "*")
            .Concat(Directory.EnumerateDirectories(Path.GetTempPath(), RedisPrefix + "*"));
        foreach (var folder in candidates)
        {
            try
            {
                var owner = Path.Combine(folder, OwnerFile);
                // No mark: not made by this library, or made a moment ago and not marked yet. Not ours to judge.
                if (File.Exists(owner) && !IsAlive(File.ReadAllText(owner)))
                {
                    Folders.Delete(folder);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A leftover we cannot delete must not fail the test that happened to start next.
                Console.Error.WriteLine($"Dapr.Testing: could not delete the leftover folder {folder}: {e.Message}");
            }
        }
    }

    /// <summary>The pid alone could have been reused by now; pid and start time together name one process.</summary>
    internal static string Describe(Process process) =>
        $"{process.Id} {process.StartTime.ToUniversalTime().Ticks.ToString(CultureInfo.InvariantCulture)}";

    private static bool IsAlive(string owner)
    {
        var fields = owner.Split(' ');
        if (fields.Length != 2 || !int.TryParse(fields[0], out var pid) || !long.TryParse(fields[1], out var ticks))
        {
            return true; // unreadable: leave it alone rather than delete someone's live data
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            return Math.Abs(process.StartTime.ToUniversalTime().Ticks - ticks) < TimeSpan.TicksPerSecond;
        }
        catch (ArgumentException)
        {
            return false; // no process with that id
        }
        catch (InvalidOperationException)
        {
            return false; // it exited while we looked
        }
    }
}
