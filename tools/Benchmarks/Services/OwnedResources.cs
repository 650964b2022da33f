namespace Benchmarks.Services;

/// <summary>
/// What a benchmark started, stopped in reverse order of start. Every part is stopped even when one fails to stop, and
/// the failures are rethrown together: a server left running on a shared machine skews everybody's numbers.
/// </summary>
public sealed class OwnedResources : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _owned = [];
    private readonly List<Func<string>> _diagnostics = [];

    /// <summary>
    /// Runs <paramref name="body"/> with a fresh set of resources and stops them all afterwards. When the body fails,
    /// what the registered processes logged goes to stderr, and a failure to stop is reported beside the body's failure
    /// rather than instead of it.
    /// </summary>
    public static async Task<int> UseAsync(Func<OwnedResources, Task<int>> body)
    {
        var owned = new OwnedResources();
        int exitCode;
        try
        {
            exitCode = await body(owned).ConfigureAwait(false);
        }
        catch (Exception failure)
        {
            foreach (var diagnostics in owned._diagnostics)
            {
                await Console.Error.WriteLineAsync(diagnostics()).ConfigureAwait(false);
            }

            try
            {
                await owned.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception stopError)
            {
                throw new AggregateException("the benchmark failed, and stopping its environment failed too", failure, stopError);
            }

            throw;
        }

        await owned.DisposeAsync().ConfigureAwait(false);
        return exitCode;
    }

    /// <summary>What to print when the run fails, e.g. an app's and its sidecar's output.</summary>
    public void OnFailurePrint(Func<string> diagnostics) => _diagnostics.Add(diagnostics);

    public T Add<T>(T resource)
        where T : IAsyncDisposable
    {
        _owned.Add(resource);
        return resource;
    }

    public void Add(IDisposable resource) => _owned.Add(new DisposeSync(resource));

    public void DeleteAtEnd(DirectoryInfo folder) => _owned.Add(new DeleteFolder(folder));

    public async ValueTask DisposeAsync()
    {
        var errors = new List<Exception>();
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            try
            {
                await _owned[i].DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception e)
            {
                errors.Add(e);
            }
        }

        _owned.Clear();
        if (errors.Count > 0)
        {
            throw new AggregateException("stopping the benchmark environment failed", errors);
        }
    }

    private sealed class DisposeSync(IDisposable inner) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            inner.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    private sealed class DeleteFolder(DirectoryInfo folder) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            folder.Delete(recursive: true);
            return ValueTask.CompletedTask;
        }
    }
}
