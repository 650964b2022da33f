using Cel;

namespace LocalSidecar.Subscriptions;

/// <summary>
/// A compiled CEL expression (the <c>Cel</c> 0.3.3 package). It evaluates daprd's routing forms
/// (<c>event.type == "order.v2"</c>, <c>event.data.x &gt; 1 &amp;&amp; event.source == "a"</c>, <c>in</c>, <c>has()</c>,
/// string functions) and the breaker trip forms over plain dictionaries, so no hand-written evaluator is needed.
/// </summary>
public sealed class CelExpression
{
    // Building an environment costs ~100 ms, and the package does not promise that Compile is thread-safe; one shared,
    // locked environment keeps start-up cheap and safe. Evaluation of a compiled delegate is pure and runs unlocked.
    private static readonly Lazy<CelEnvironment> Environment = new(() => new CelEnvironment(null, null));
    private static readonly Lock CompileGate = new();

    private readonly CelProgramDelegate _program;

    private CelExpression(string text, CelProgramDelegate program)
    {
        Text = text;
        _program = program;
    }

    public string Text { get; }

    /// <exception cref="CelCompileException">The text is not a CEL expression.</exception>
    public static CelExpression Compile(string text)
    {
        try
        {
            lock (CompileGate)
            {
                return new CelExpression(text, Environment.Value.Compile(text));
            }
        }
        catch (CelException e)
        {
            throw new CelCompileException(text, e);
        }
    }

    /// <exception cref="CelEvaluationException">The expression failed, for example it selected a field the event does not have.</exception>
    public object? Evaluate(IDictionary<string, object?> variables)
    {
        try
        {
            return _program.Invoke(variables!);
        }
        catch (CelException e)
        {
            throw new CelEvaluationException(Text, e);
        }
    }

    public bool EvaluateBoolean(IDictionary<string, object?> variables) => Evaluate(variables) switch
    {
        bool b => b,
        var other => throw new CelEvaluationException(Text, new InvalidOperationException($"the result was {other ?? "null"}, not a boolean")),
    };

    public override string ToString() => Text;
}

public sealed class CelCompileException(string expression, Exception inner)
    : Exception($"'{expression}' is not a valid CEL expression: {inner.Message}", inner);

public sealed class CelEvaluationException(string expression, Exception inner)
    : Exception($"evaluating '{expression}' failed: {inner.Message}", inner);
