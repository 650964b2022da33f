using System.Globalization;

namespace Dapr.Testing.Internal;

/// <summary>Process-tree facts from Linux's /proc.</summary>
internal static class ProcFs
{
    /// <summary>
    /// A process named by pid and start time (clock ticks after boot), so that a pid reused by an unrelated
    /// process after ours died is never taken for ours, and never killed.
    /// </summary>
    internal readonly record struct ProcessIdentity(int Pid, ulong StartTime)
    {
        /// <summary>A zombie counts as gone: it holds no port, file or shared memory, and PID 1 may be slow to reap it.</summary>
        public bool IsAlive() => ReadStat(Pid) is { } stat && stat.StartTime == StartTime && stat.State is not ('Z' or 'X');

        public void Kill()
        {
            if (IsAlive())
            {
                Unix.Signal(Pid, Unix.SigKill);
            }
        }
    }

    /// <summary>Children, grandchildren and so on of <paramref name="pid"/>, as of now.</summary>
    public static List<ProcessIdentity> Descendants(int pid)
    {
        var byParent = new Dictionary<int, List<ProcessIdentity>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var candidate) &&
                ReadStat(candidate) is { } stat)
            {
                if (!byParent.TryGetValue(stat.ParentPid, out var siblings))
                {
                    byParent[stat.ParentPid] = siblings = [];
                }

                siblings.Add(new ProcessIdentity(candidate, stat.StartTime));
            }
        }

        var result = new List<ProcessIdentity>();
        var pending = new Queue<int>([pid]);
        while (pending.TryDequeue(out var parent))
        {
            foreach (var child in byParent.GetValueOrDefault(parent) ?? [])
            {
                result.Add(child);
                pending.Enqueue(child.Pid);
            }
        }

        return result;
    }

    private static (char State, int ParentPid, ulong StartTime)? ReadStat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null; // it exited: gone from /proc, or gone while being read ("No such process")
        }

        // "pid (comm) state ppid ... starttime ..."; comm may hold spaces and ')', so fields count from the last ')'.
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        return (fields[0][0], int.Parse(fields[1], CultureInfo.InvariantCulture), ulong.Parse(fields[19], CultureInfo.InvariantCulture));
    }
}
