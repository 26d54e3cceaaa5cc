using System.Globalization;

namespace Telescope.Frames;

/// <summary>
/// The one long format of the project. Columns, in order:
/// <c>study, run, seed, step, split, example, output, &lt;parameters…&gt;, quantity, value</c>, and for
/// theory tables also <c>closed_form, simulated, abs_error, rel_error</c>. Empty cells mean "not
/// applicable". Anything that varies across rows is a column, never part of a file name, a split or a
/// quantity name. <see cref="ParameterNames"/> are the coordinate columns between <c>output</c> and
/// <c>quantity</c>: a cell is the row's own coordinate (<see cref="Observation.Coordinates"/>, e.g. a path's
/// <c>alpha</c> or a quantity's <c>layer</c>) when it sets one, else the run's swept hyper-parameter
/// (<see cref="RunKey"/>), else empty.
/// </summary>
public sealed record TidySchema(IReadOnlyList<string> ParameterNames, bool TheoryColumns = false)
{
    /// <summary>The identifying columns that precede the parameters.</summary>
    public static readonly string[] IdColumns =
    [
        "study",
        "run",
        "seed",
        "step",
        "split",
        "example",
        "output",
    ];

    /// <summary>Columns appended to theory tables.</summary>
    public static readonly string[] TheoryExtraColumns =
    [
        "closed_form",
        "simulated",
        "abs_error",
        "rel_error",
    ];

    /// <summary>Every column name, in order.</summary>
    public IReadOnlyList<string> Columns =>
        [
            .. IdColumns,
            .. ParameterNames,
            "quantity",
            "value",
            .. (TheoryColumns ? TheoryExtraColumns : []),
        ];

    /// <summary>The header line.</summary>
    public string Header => Csv.Line(Columns);

    /// <summary>Format one observation of <paramref name="key"/> as a CSV line (no newline).</summary>
    public string FormatRow(RunKey key, in Observation o)
    {
        var cells = new List<string>(Columns.Count)
        {
            Csv.Escape(key.Study),
            Csv.Escape(key.Run),
            key.Seed.ToString(CultureInfo.InvariantCulture),
            Csv.Number(o.Step),
            Csv.Escape(o.Split ?? ""),
            o.Example?.ToString(CultureInfo.InvariantCulture) ?? "",
            o.Output?.ToString(CultureInfo.InvariantCulture) ?? "",
        };
        foreach (var name in ParameterNames)
            cells.Add(Csv.Escape(o.Coordinate(name) ?? key[name] ?? ""));
        cells.Add(Csv.Escape(o.Quantity));
        cells.Add(Csv.Number(o.Value));
        if (TheoryColumns)
        {
            var cf = o.ClosedForm;
            cells.Add(Csv.Number(cf));
            cells.Add(Csv.Number(o.Value));
            cells.Add(cf is { } c ? Csv.Number(Math.Abs(o.Value - c)) : "");
            cells.Add(cf is { } c2 ? Csv.Number(RelativeError(o.Value, c2)) : "");
        }
        return string.Join(',', cells);
    }

    /// <summary>|simulated − closed| / max(|closed|, 1e-300): relative to the closed form.</summary>
    public static double RelativeError(double simulated, double closed) =>
        Math.Abs(simulated - closed) / Math.Max(Math.Abs(closed), 1e-300);
}
