namespace Dapr.Testing.Internal;

internal static class Folders
{
    public static bool IsEmpty(string directory) =>
        !Directory.Exists(directory) || !Directory.EnumerateFileSystemEntries(directory).Any();

    /// <summary>Deletes a folder a just-killed server wrote into.</summary>
    public static void Delete(string directory)
    {
        // A killed process's last writes can land while we walk the tree ("directory not empty");
        // a short retry settles that without hiding a real failure, which is rethrown.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (Directory.Exists(directory))
                {
                    Directory.Delete(directory, recursive: true);
                }

                return;
            }
            catch (IOException) when (attempt < 5)
            {
                Thread.Sleep(100 * attempt);
            }
        }
    }

    /// <summary>Deletes a folder from a process of its own, which goes on when this one is killed.</summary>
    /// <remarks>
    /// For exit handlers only: vstest kills its test host 100 ms after the last test, too soon to delete a
    /// PostgreSQL data directory. What rm cannot delete TempFolders sweeps the next time a server starts.
    /// </remarks>
    public static void DeleteDetached(string directory)
    {
        // Started directly, not through ChildProcess: its parent-death signal would kill rm along with us.
        var startInfo = new System.Diagnostics.ProcessStartInfo("rm") { UseShellExecute = false };
        startInfo.ArgumentList.Add("-rf");
        startInfo.ArgumentList.Add("--");
        startInfo.ArgumentList.Add(directory);
        System.Diagnostics.Process.Start(startInfo)?.Dispose();
    }
}
