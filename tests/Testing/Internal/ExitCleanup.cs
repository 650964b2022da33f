using System.Runtime.Loader;

namespace Dapr.Testing.Internal;

/// <summary>Last-chance cleanup while the process is going away: synchronous, and quick.</summary>
internal interface IExitCleanup
{
    /// <summary>Signals the server without waiting: SIGKILL for throwaway data, a clean shutdown for kept data.</summary>
    void BeginStopAtExit();

    /// <summary>Waits for the server to be gone and deletes what it owned.</summary>
    void FinishStopAtExit();
}

/// <summary>
/// Stops servers that were not disposed when the test process ends, including on an unhandled exception,
/// so no PostgreSQL or Redis outlives the run holding a port and a temp folder.
/// </summary>
/// <remarks>
/// This is best effort by nature: vstest gives its test host 100 ms to exit after the last test and then
/// kills it, and a SIGKILLed process runs nothing at all. Hence every server is signalled first and waited
/// for second; the parent-death signal (see ChildProcess) takes the servers down with a killed process, and
/// TempFolders deletes folders whose owning process is gone the next time a server starts.
/// </remarks>
internal static class ExitCleanup
{
    private static readonly Lock Gate = new();
    private static readonly HashSet<IExitCleanup> Items = [];

    static ExitCleanup()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => RunAll("process exit");
        AppDomain.CurrentDomain.UnhandledException += (_, _) => RunAll("an unhandled exception");
        var loadContext = AssemblyLoadContext.GetLoadContext(typeof(ExitCleanup).Assembly);
        if (loadContext is not null)
        {
            loadContext.Unloading += _ => RunAll("assembly unload");
        }
    }

    public static void Register(IExitCleanup item)
    {
        lock (Gate)
        {
            Items.Add(item);
        }
    }

    public static void Unregister(IExitCleanup item)
    {
        lock (Gate)
        {
            Items.Remove(item);
        }
    }

    private static void RunAll(string reason)
    {
        IExitCleanup[] items;
        lock (Gate)
        {
            items = [.. Items];
            Items.Clear();
        }

        Each(items, item => item.BeginStopAtExit(), reason);
        Each(items, item => item.FinishStopAtExit(), reason);
    }

    private static void Each(IExitCleanup[] items, Action<IExitCleanup> step, string reason)
    {
        foreach (var item in items)
        {
            try
            {
                step(item);
            }
            catch (Exception e)
            {
                // Nobody is left to catch this; stderr is the only place it can be seen.
                Console.Error.WriteLine($"Dapr.Testing: cleaning up {item} at {reason} failed: {e}");
            }
        }
    }
}
