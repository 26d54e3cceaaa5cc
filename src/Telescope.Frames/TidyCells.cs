using System.Globalization;

namespace Telescope.Frames;

/// <summary>Reading one cell of a tidy row as <see cref="TidyTable.ReadRows"/> returns it.</summary>
public static class TidyCells
{
    /// <summary>The cell of <paramref name="column"/>, or "" when the row has no such column.</summary>
    public static string Text(IReadOnlyDictionary<string, string> row, string column) =>
        row.TryGetValue(column, out var v) ? v : "";

    /// <summary>The cell as a number (invariant culture); NaN when absent, empty or not a number.</summary>
    public static double Number(IReadOnlyDictionary<string, string> row, string column) =>
        double.TryParse(
            Text(row, column),
            NumberStyles.Float,
            CultureInfo.InvariantCulture,
            out var x
        )
            ? x
            : double.NaN;
}
