using System.Globalization;
using Deedle;

namespace Telescope.Frames;

/// <summary>
/// Tidy observations as Deedle frames, built column-wise, with the same columns as the tidy CSV
/// (<see cref="TidySchema"/>): <c>study, run, seed, step, split, example, output, &lt;parameters…&gt;,
/// quantity, value</c>. Missing cells are Deedle missing values (NaN for numbers, null for text).
/// Numeric columns are <see cref="double"/> (<c>seed</c> is <see cref="long"/>); a parameter column is
/// numeric when every one of its values parses as a number, as when the CSV is loaded.
/// </summary>
public static class TidyFrames
{
    /// <summary>The frame of the observations of several runs (one row per observation, runs in order).</summary>
    /// <param name="runs">Each run's key and its observations.</param>
    /// <param name="theoryColumns">Add <c>closed_form, simulated, abs_error, rel_error</c> (theory tables).</param>
    /// <param name="columns">The coordinate columns between <c>output</c> and <c>quantity</c>, in order (a study's
    /// <c>ParameterNames</c>, as its CSV has them); null: the runs' swept hyper-parameters, then the
    /// observations' row-level coordinates in order of first appearance.</param>
    public static Frame<int, string> FromRuns(
        IEnumerable<(RunKey Key, IReadOnlyList<Observation> Observations)> runs,
        bool theoryColumns = false,
        IReadOnlyList<string>? columns = null
    )
    {
        var list = runs.ToList();
        var parameters =
            columns?.ToList()
            ?? list.SelectMany(r => r.Key.ParameterNames)
                .Concat(
                    list.SelectMany(r =>
                        r.Observations.SelectMany(o => o.Coordinates ?? []).Select(c => c.Key)
                    )
                )
                .Distinct()
                .ToList();
        var study = new List<string>();
        var run = new List<string>();
        var seed = new List<long>();
        var step = new List<double>();
        var split = new List<string?>();
        var example = new List<double>();
        var output = new List<double>();
        var quantity = new List<string>();
        var value = new List<double>();
        var closed = new List<double>();
        var pars = parameters.ToDictionary(p => p, _ => new List<string?>());
        foreach (var (key, observations) in list)
        foreach (var o in observations)
        {
            study.Add(key.Study);
            run.Add(key.Run);
            seed.Add(key.Seed);
            step.Add(o.Step ?? double.NaN);
            split.Add(o.Split);
            example.Add(o.Example ?? double.NaN);
            output.Add(o.Output ?? double.NaN);
            foreach (var p in parameters)
                pars[p].Add(o.Coordinate(p) ?? key[p]);
            quantity.Add(o.Quantity);
            value.Add(o.Value);
            closed.Add(o.ClosedForm ?? double.NaN);
        }
        var b = new FrameBuilder.Columns<int, string>
        {
            { "study", Series(study) },
            { "run", Series(run) },
            { "seed", Series(seed) },
            { "step", Series(step) },
            { "split", Series(split) },
            { "example", Series(example) },
            { "output", Series(output) },
        };
        foreach (var p in parameters)
            b.Add(p, TypedColumn(pars[p]));
        b.Add("quantity", Series(quantity));
        b.Add("value", Series(value));
        if (theoryColumns)
        {
            b.Add("closed_form", Series(closed));
            b.Add("simulated", Series(value));
            b.Add("abs_error", Series(value.Zip(closed, (v, c) => Math.Abs(v - c)).ToList()));
            b.Add(
                "rel_error",
                Series(
                    value
                        .Zip(
                            closed,
                            (v, c) => double.IsNaN(c) ? double.NaN : TidySchema.RelativeError(v, c)
                        )
                        .ToList()
                )
            );
        }
        return b.Frame;
    }

    /// <summary>The frame of one run's observations.</summary>
    public static Frame<int, string> FromObservations(
        RunKey key,
        IEnumerable<Observation> observations
    ) => FromRuns([(key, observations.ToList())]);

    /// <summary>
    /// Save a frame as CSV (atomically; invariant culture; missing cells empty; no row keys), so that
    /// <see cref="TidyTable.Load"/> reads it back.
    /// </summary>
    public static void SaveCsv(Frame<int, string> frame, string path) => SaveCsv<int>(frame, path);

    /// <summary>Save any frame as CSV; the row keys become the first column when <paramref name="rowKeyName"/> is given.</summary>
    public static void SaveCsv<TRow>(
        Frame<TRow, string> frame,
        string path,
        string? rowKeyName = null
    )
        where TRow : notnull
    {
        var columns = frame.ColumnKeys.ToList();
        var cells = columns.Select(c => Cells(frame, c)).ToList();
        var keys = frame.RowKeys.Select(k => Format(k)).ToList();
        AtomicFile.WriteText(
            path,
            w =>
            {
                w.WriteLine(Csv.Line(rowKeyName is null ? columns : columns.Prepend(rowKeyName)));
                for (int i = 0; i < keys.Count; i++)
                {
                    var row = cells.Select(c => c[i]);
                    w.WriteLine(Csv.Line(rowKeyName is null ? row : row.Prepend(keys[i])));
                }
                w.Flush();
            }
        );
    }

    /// <summary>
    /// The cells of a column as text, in row order: numbers in round-trip invariant form, integral
    /// doubles without a decimal point ("1", not "1.0"), missing values as "".
    /// </summary>
    public static string[] Cells<TRow>(Frame<TRow, string> frame, string column)
        where TRow : notnull => Column(frame, column, v => Format(v), "");

    /// <summary>The cells of a column as numbers, in row order; missing or non-numeric cells are NaN.</summary>
    public static double[] Numbers<TRow>(Frame<TRow, string> frame, string column)
        where TRow : notnull => Column(frame, column, ToNumber, double.NaN);

    /// <summary>A column's values through <paramref name="read"/>, in row order; <paramref name="missing"/> where a value is missing.</summary>
    private static T[] Column<TRow, T>(
        Frame<TRow, string> frame,
        string column,
        Func<object, T> read,
        T missing
    )
        where TRow : notnull
    {
        if (!frame.ColumnKeys.Contains(column))
            throw new KeyNotFoundException(
                $"the frame has no column '{column}' (columns: {string.Join(", ", frame.ColumnKeys)})"
            );
        return frame
            .GetColumn<object>(column)
            .GetAllValues()
            .Select(v => v.HasValue ? read(v.Value) : missing)
            .ToArray();
    }

    /// <summary>Invariant text of a cell value.</summary>
    public static string Format(object? v) =>
        v switch
        {
            null => "",
            double d when double.IsNaN(d) => "",
            double d => d.ToString("R", CultureInfo.InvariantCulture),
            float f => ((double)f).ToString("R", CultureInfo.InvariantCulture),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => v.ToString() ?? "",
        };

    /// <summary>A cell value as a number (NaN when it is not one).</summary>
    public static double ToNumber(object? v) =>
        v switch
        {
            null => double.NaN,
            double d => d,
            float f => f,
            int i => i,
            long l => l,
            decimal m => (double)m,
            bool b => b ? 1 : 0,
            string s
                when double.TryParse(
                    s,
                    NumberStyles.Float,
                    CultureInfo.InvariantCulture,
                    out var x
                ) => x,
            _ => double.NaN,
        };

    /// <summary>A text column as a numeric series when every present value parses as a number, else as text.</summary>
    public static ISeries<int> TypedColumn(IReadOnlyList<string?> values)
    {
        var present = values.Where(v => !string.IsNullOrEmpty(v)).ToList();
        if (
            present.Count > 0
            && present.All(v =>
                double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
            )
        )
            return Series(
                values
                    .Select(v =>
                        string.IsNullOrEmpty(v)
                            ? double.NaN
                            : double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture)
                    )
                    .ToList()
            );
        return Series(values.Select(v => string.IsNullOrEmpty(v) ? null : v).ToList());
    }

    /// <summary>A series with row keys 0..n−1.</summary>
    public static Series<int, T> Series<T>(IReadOnlyList<T> values) =>
        new(Enumerable.Range(0, values.Count), values);
}
