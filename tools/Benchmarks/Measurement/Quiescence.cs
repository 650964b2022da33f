using System.Diagnostics;
using System.Globalization;

namespace Benchmarks.Measurement;

/// <summary>
/// Waits for the processes to wind down after load before an idle measurement. A drained run still has a tail: outbox
/// relays publishing the last events, subscribers handling them, the runtime's background compilation and garbage
/// collection. Measured straight away, that tail shows up as "idle" CPU and background commits, and the background
/// commits are then subtracted from every step. So the idle window starts only once every process has stayed under
/// <see cref="CoresPerProcess"/> for two windows in a row, or when <see cref="Limit"/> has passed (the report says which).
/// </summary>
public sealed class Quiescence(IReadOnlyList<CpuSource> sources)
{
    /// <summary>A process polling an empty outbox or stream uses about 0.01–0.03 cores on this kind of machine.</summary>
    public const double CoresPerProcess = 0.05;

    public static readonly TimeSpan Window = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    public async Task<QuietResult> WaitAsync(CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var quietWindows = 0;
        IReadOnlyList<string> busy = [];
        while (clock.Elapsed < Limit)
        {
            var before = CpuSnapshot.Take(sources);
            var window = Stopwatch.StartNew();
            await Task.Delay(Window, ct).ConfigureAwait(false);
            busy = Busy(before.Elapsed(), window.Elapsed);
            quietWindows = busy.Count == 0 ? quietWindows + 1 : 0;
            if (quietWindows == 2)
            {
                return new QuietResult(clock.Elapsed, Settled: true, []);
            }
        }

        return new QuietResult(clock.Elapsed, Settled: false, busy);
    }

    /// <summary>The processes that used more than <see cref="CoresPerProcess"/> over <paramref name="wall"/>.</summary>
    public static IReadOnlyList<string> Busy(IReadOnlyDictionary<string, TimeSpan> used, TimeSpan wall)
        => [.. used.Where(u => u.Value / wall > CoresPerProcess).Select(u => u.Key).Order(StringComparer.Ordinal)];
}

/// <summary>How long the wait took, whether every process went quiet, and which were still busy if not.</summary>
public sealed record QuietResult(TimeSpan Waited, bool Settled, IReadOnlyList<string> StillBusy)
{
    public string WaitedSeconds => Waited.TotalSeconds.ToString("0", CultureInfo.InvariantCulture) + " s";
}
