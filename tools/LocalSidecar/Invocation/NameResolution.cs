using System.Text.Json;

namespace LocalSidecar.Invocation;

/// <summary>Where a sidecar can be reached. Written by each sidecar on start-up, read by callers.</summary>
public sealed record SidecarAddress(string AppId, int HttpPort, int GrpcPort, int? AppPort, int ProcessId);

/// <summary>
/// Finds other sidecars on this machine. daprd uses mDNS in self-hosted mode; the local sidecar uses one small
/// file per app id in a shared folder, which needs no network service and works the same in tests and with the runner.
/// A file left by a process that no longer runs is treated as absent.
/// </summary>
/// <remarks>
/// A found address is kept for <see cref="Freshness"/>: reading the file and checking the process on every call cost
/// more than the rest of the hop. A caller that fails to reach a kept address calls <see cref="Forget"/>, so a
/// sidecar restarted on other ports is found again at the next call.
/// </remarks>
public sealed class NameResolution(string directory)
{
    public static readonly TimeSpan Freshness = TimeSpan.FromSeconds(1);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (SidecarAddress Address, long FoundAt)> _found = new(StringComparer.Ordinal);

    public string Directory { get; } = directory;

    public void Register(SidecarAddress address)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var path = PathFor(address.AppId);
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(address));
        File.Move(temp, path, overwrite: true); // atomic on the same file system, so a reader never sees half a file
    }

    public void Unregister(SidecarAddress address)
    {
        var current = Read(address.AppId);
        if (current is not null && current == address)
        {
            File.Delete(PathFor(address.AppId));
        }
    }

    public SidecarAddress? Resolve(string appId)
    {
        var now = Environment.TickCount64;
        if (_found.TryGetValue(appId, out var kept) && now - kept.FoundAt < (long)Freshness.TotalMilliseconds)
        {
            return kept.Address;
        }

        var address = Read(appId);
        if (address is not null && IsRunning(address.ProcessId))
        {
            _found[appId] = (address, now);
            return address;
        }

        _found.TryRemove(appId, out _);
        return null;
    }

    /// <summary>Drops a kept address that could not be reached.</summary>
    public void Forget(string appId) => _found.TryRemove(appId, out _);

    private SidecarAddress? Read(string appId)
    {
        var path = PathFor(appId);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<SidecarAddress>(File.ReadAllText(path));
        }
        catch (FileNotFoundException)
        {
            return null; // unregistered between the check and the read
        }
    }

    private string PathFor(string appId)
    {
        if (appId.Length == 0 || appId.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
        {
            throw new ArgumentException($"'{appId}' is not a valid app id", nameof(appId));
        }

        return Path.Combine(Directory, appId + ".json");
    }

    private static bool IsRunning(int processId)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
