using System.Diagnostics;

namespace Dapr.Testing.Tests;

public sealed class ExitCleanupTests
{
    [Fact]
    public async Task a_test_process_that_crashes_leaves_no_server_and_no_folder_behind()
    {
        await using var child = await ServingChild.StartAsync("throw");

        Assert.True(child.Process.WaitForExit(TimeSpan.FromSeconds(30)), "the crashing child did not exit");
        child.Process.WaitForExit(); // and its stderr was read to the end

        Assert.NotEqual(0, child.Process.ExitCode);
        Assert.Contains("deliberate crash", child.Stderr);
        Assert.False(Processes.IsAlive(child.PostmasterPid));
        Assert.False(FreePort.IsListening(child.PostgresPort));
        Assert.False(FreePort.IsListening(child.RedisPort));
        // Deleted by a detached rm (see Folders.DeleteDetached), which may still be at work.
        Assert.True(await Processes.EventuallyAsync(() => !Directory.Exists(child.PostgresFolder), TimeSpan.FromSeconds(20)));
        Assert.True(await Processes.EventuallyAsync(() => !Directory.Exists(child.RedisFolder), TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public async Task a_test_process_that_is_sigkilled_leaves_no_server_running()
    {
        await using var child = await ServingChild.StartAsync("hang");

        // Only the child itself: what a runner's hang timeout does. Nothing in it gets to clean up.
        child.Process.Kill(entireProcessTree: false);

        Assert.True(
            await Processes.EventuallyAsync(() => !Processes.IsAlive(child.PostmasterPid), TimeSpan.FromSeconds(20)),
            "postgres outlived its SIGKILLed parent");
        Assert.True(
            await Processes.EventuallyAsync(() => !FreePort.IsListening(child.RedisPort), TimeSpan.FromSeconds(20)),
            "redis outlived its SIGKILLed parent");
        Assert.True(
            await Processes.EventuallyAsync(() => !FreePort.IsListening(child.PostgresPort), TimeSpan.FromSeconds(20)),
            "a postgres backend still listens");
        // The folders do stay behind: nothing of the dead process can delete them. ServingChild removes them.
    }

    [Fact]
    public void folders_left_by_a_dead_process_are_swept_and_all_others_are_kept()
    {
        string deadOwner;
        using (var soonDead = Process.Start("sleep", "60"))
        {
            deadOwner = Dapr.Testing.Internal.TempFolders.Describe(soonDead);
            soonDead.Kill();
            soonDead.WaitForExit();
        }

        var leftover = MarkedFolder(deadOwner);
        var ours = MarkedFolder(Dapr.Testing.Internal.TempFolders.Describe(Process.GetCurrentProcess()));
        var unmarked = Directory.CreateTempSubdirectory(Dapr.Testing.Internal.TempFolders.PostgresPrefix).FullName;
        try
        {
            Dapr.Testing.Internal.TempFolders.SweepLeftovers();

            Assert.False(Directory.Exists(leftover));
            Assert.True(Directory.Exists(ours));
            Assert.True(Directory.Exists(unmarked));
        }
        finally
        {
            foreach (var folder in new[] { leftover, ours, unmarked }.Where(Directory.Exists))
            {
                Directory.Delete(folder, recursive: true);
            }
        }

        static string MarkedFolder(string owner)
        {
            var folder = Directory.CreateTempSubdirectory(Dapr.Testing.Internal.TempFolders.PostgresPrefix).FullName;
            Directory.CreateDirectory(Path.Combine(folder, "data"));
            File.WriteAllText(Path.Combine(folder, Dapr.Testing.Internal.TempFolders.OwnerFile), owner);
            return folder;
        }
    }

    /// <summary>This test assembly run as a program (see Program.cs) that starts a PostgreSQL and a Redis.</summary>
    private sealed class ServingChild : IAsyncDisposable
    {
        private readonly System.Text.StringBuilder _stderr = new();

        private ServingChild(Process process) => Process = process;

        public Process Process { get; }

        public int PostgresPort { get; private set; }

        public int PostmasterPid { get; private set; }

        public string PostgresFolder { get; private set; } = "";

        public int RedisPort { get; private set; }

        public string RedisFolder { get; private set; } = "";

        /// <summary>What the child wrote to stderr so far.</summary>
        public string Stderr
        {
            get
            {
                lock (_stderr)
                {
                    return _stderr.ToString();
                }
            }
        }

        public static async Task<ServingChild> StartAsync(string how)
        {
            var dotnet = Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath! : "dotnet";
            var startInfo = new ProcessStartInfo(dotnet)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            startInfo.ArgumentList.Add(typeof(ServingChild).Assembly.Location);
            startInfo.ArgumentList.Add(Program.ServeThenDie);
            startInfo.ArgumentList.Add(how);
            var child = new ServingChild(Process.Start(startInfo)!);
            child.Process.ErrorDataReceived += (_, e) =>
            {
                lock (child._stderr)
                {
                    child._stderr.AppendLine(e.Data);
                }
            };
            child.Process.BeginErrorReadLine();

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (await child.Process.StandardOutput.ReadLineAsync(timeout.Token) is { } line && line != "ready")
            {
                var fields = line.Split(' ');
                switch (fields[0])
                {
                    case "postgres":
                        (child.PostgresPort, child.PostmasterPid, child.PostgresFolder) = (int.Parse(fields[1]), int.Parse(fields[2]), fields[3]);
                        break;
                    case "redis":
                        (child.RedisPort, child.RedisFolder) = (int.Parse(fields[1]), fields[2]);
                        break;
                }
            }

            Assert.True(child.PostgresPort > 0 && child.RedisPort > 0, $"the child did not start its servers:\n{child.Stderr}");
            return child;
        }

        public async ValueTask DisposeAsync()
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
                await Process.WaitForExitAsync();
            }

            Process.Dispose();
            foreach (var folder in new[] { PostgresFolder, RedisFolder }.Where(Directory.Exists))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }
}
