using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// For rules DataAnnotations cannot express (one field depends on another, or on state). Shape checks belong on the
/// request record as attributes, checked by <c>builder.Services.AddValidation()</c> before the handler runs; both give
/// the same RFC 7807 400 with <c>errors</c> keyed by field. .NET 10's validation keys errors by C# member name
/// (<c>FailTimes</c>, not the JSON <c>failTimes</c>) and by parameter name for query/route values, so pass
/// <c>nameof(...)</c> to stay consistent with it.
/// </summary>
public static class ValidationProblems
{
    /// <summary>A 400 naming one field: <c>return ValidationProblems.Field(nameof(Order.Lines), "...");</c></summary>
    public static ValidationProblem Field(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] });

    /// <summary>Collects several failures before answering; <see cref="ToProblem"/> is null when all passed.</summary>
    public static Collector Collect() => new();

    public sealed class Collector
    {
        private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

        public Collector Require(bool condition, string field, string message)
        {
            if (!condition)
            {
                if (!_errors.TryGetValue(field, out var messages))
                {
                    _errors[field] = messages = [];
                }

                messages.Add(message);
            }

            return this;
        }

        public ValidationProblem? ToProblem() => _errors.Count == 0
            ? null
            : TypedResults.ValidationProblem(_errors.ToDictionary(e => e.Key, e => e.Value.ToArray()));
    }
}
