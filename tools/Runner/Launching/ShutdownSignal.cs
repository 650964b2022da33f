using System.Runtime.InteropServices;

namespace Runner.Launching;

/// <summary>
/// Turns SIGINT/SIGTERM into cancellation instead of an abrupt exit, so the runner can stop things
/// in order. A second signal while stopping means "stop waiting": grace periods end at once.
/// </summary>
public sealed class ShutdownSignal : IDisposable
{
    private readonly CancellationTokenSource _requested = new();
    private readonly CancellationTokenSource _forced = new();
    private readonly List<PosixSignalRegistration> _registrations = [];
    private readonly Action<PosixSignal, int>? _onSignal;
    private int _count;

    public ShutdownSignal(Action<PosixSignal, int>? onSignal = null)
    {
        _onSignal = onSignal;
        _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle));
        _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle));
    }

    public CancellationToken Requested => _requested.Token;

    public CancellationToken Forced => _forced.Token;

    private void Handle(PosixSignalContext context)
    {
        context.Cancel = true;
        var count = Interlocked.Increment(ref _count);
        _onSignal?.Invoke(context.Signal, count);
        if (count == 1)
        {
            _requested.Cancel();
        }
        else
        {
            _forced.Cancel();
        }
    }

    public void Dispose()
    {
        _registrations.ForEach(r => r.Dispose());
        _requested.Dispose();
        _forced.Dispose();
    }
}
