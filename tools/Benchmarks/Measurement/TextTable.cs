using System.Text;

namespace Benchmarks.Measurement;

/// <summary>A plain-text table: the first column left-aligned, the others right-aligned; widths fit the content.</summary>
public sealed class TextTable(params string[] headers)
{
    private readonly List<string[]> _rows = [];
    private readonly HashSet<int> _leftAligned = [0];

    public TextTable LeftAlign(params int[] columns)
    {
        _leftAligned.UnionWith(columns);
        return this;
    }

    public void Add(params string[] cells)
    {
        if (cells.Length != headers.Length)
        {
            throw new ArgumentException($"expected {headers.Length} cells, got {cells.Length}", nameof(cells));
        }

        _rows.Add(cells);
    }

    public override string ToString()
    {
        var widths = headers.Select((h, i) => Math.Max(h.Length, _rows.Count == 0 ? 0 : _rows.Max(r => r[i].Length))).ToArray();
        var text = new StringBuilder();
        Line(headers);
        text.AppendLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var row in _rows)
        {
            Line(row);
        }

        return text.ToString();

        void Line(string[] cells)
            => text.AppendLine(string.Join("  ", cells.Select((c, i) => _leftAligned.Contains(i) ? c.PadRight(widths[i]) : c.PadLeft(widths[i]))).TrimEnd());
    }
}
