using Deedle;
using MathNet.Numerics.Distributions;

namespace Telescope.Frames;

/// <summary>
/// The questions researchers ask of tidy trajectory tables, each answered as a Deedle frame:
/// <see cref="AggregateOverSeeds"/> (mean and a Student-t confidence interval over seeds),
/// <see cref="Pivot"/> (one quantity as step × hyper-parameter) and <see cref="JoinTheory"/> (closed-form
/// predictions beside simulated runs). Inputs are tidy frames as loaded by <see cref="TidyTable.Load"/>
/// or built by <see cref="TidyFrames.FromRuns"/>; column types do not matter (cells are compared as
/// invariant text and averaged as numbers).
/// </summary>
public static class TidyQueries
{
    /// <summary>Columns that identify a replicate rather than a condition: averaged over, never grouped by.</summary>
    public static readonly string[] ReplicateColumns = ["run", "seed"];

    /// <summary>Columns that hold measurements or derived statistics rather than coordinates.</summary>
    public static readonly string[] MeasureColumns =
    [
        "value",
        .. TidySchema.TheoryExtraColumns,
        "n",
        "mean",
        "std",
        "sem",
        "ci_low",
        "ci_high",
        "within_ci",
    ];

    /// <summary>
    /// Mean over seeds with a two-sided Student-t confidence interval: rows are grouped by every
    /// coordinate column (all columns but <c>run</c>, <c>seed</c> and the measures), and each group gives
    /// <c>n</c> (seeds with a finite value), <c>mean</c>, <c>std</c> (sample, n−1), <c>sem</c> = std/√n,
    /// and <c>ci_low</c>, <c>ci_high</c> = mean ∓ t_{(1+level)/2, n−1}·sem (NaN when n &lt; 2). Groups keep
    /// the order of their first row. Non-finite values (diverged runs) are left out of n and the moments.
    /// </summary>
    /// <param name="tidy">A tidy frame with a <c>value</c> column.</param>
    /// <param name="level">Confidence level in (0, 1), default 0.95.</param>
    public static Frame<int, string> AggregateOverSeeds(
        Frame<int, string> tidy,
        double level = 0.95
    )
    {
        if (!(level > 0 && level < 1))
            throw new ArgumentOutOfRangeException(
                nameof(level),
                level,
                "the confidence level must be in (0, 1)"
            );
        var keys = tidy
            .ColumnKeys.Where(c => !ReplicateColumns.Contains(c) && !MeasureColumns.Contains(c))
            .ToList();
        var cells = keys.Select(k => TidyFrames.Cells(tidy, k)).ToList();
        var values = TidyFrames.Numbers(tidy, "value");
        var groups = new Dictionary<string, (int first, List<double> xs)>();
        var order = new List<string>();
        for (int i = 0; i < values.Length; i++)
        {
            var g = string.Join('\u001f', cells.Select(c => c[i]));
            if (!groups.TryGetValue(g, out var acc))
            {
                groups[g] = acc = (i, new List<double>());
                order.Add(g);
            }
            if (double.IsFinite(values[i]))
                acc.xs.Add(values[i]);
        }
        var b = new FrameBuilder.Columns<int, string>();
        for (int k = 0; k < keys.Count; k++)
            b.Add(
                keys[k],
                TidyFrames.TypedColumn(
                    order.Select(g => (string?)cells[k][groups[g].first]).ToList()
                )
            );
        var stats = order.Select(g => Summary.Of(groups[g].xs, level)).ToList();
        b.Add("n", TidyFrames.Series(stats.Select(s => s.N).ToList()));
        b.Add("mean", TidyFrames.Series(stats.Select(s => s.Mean).ToList()));
        b.Add("std", TidyFrames.Series(stats.Select(s => s.Std).ToList()));
        b.Add("sem", TidyFrames.Series(stats.Select(s => s.Sem).ToList()));
        b.Add("ci_low", TidyFrames.Series(stats.Select(s => s.Low).ToList()));
        b.Add("ci_high", TidyFrames.Series(stats.Select(s => s.High).ToList()));
        return b.Frame;
    }

    /// <summary>
    /// The one "mean over seeds" of tidy rows (as read by <see cref="TidyTable.ReadRows"/>), for reports,
    /// figures and scripts: rows are grouped by every coordinate column (every column but <c>run</c>,
    /// <c>seed</c> and the measures, so a table's own columns such as <c>p</c>, <c>alpha</c> or <c>layer</c>
    /// keep their groups apart), and each group gives one row with those coordinates, <c>value</c> = the mean
    /// of its finite values (NaN when none: every seed diverged) and <c>n</c> = their number. Groups keep the
    /// order of their first row. <see cref="AggregateOverSeeds"/> adds the standard deviation and a
    /// confidence interval, on Deedle frames.
    /// </summary>
    public static IReadOnlyList<IReadOnlyDictionary<string, string>> MeanOverSeeds(
        IEnumerable<IReadOnlyDictionary<string, string>> rows
    )
    {
        var groups =
            new Dictionary<
                string,
                (IReadOnlyDictionary<string, string> first, double sum, int n)
            >();
        var order = new List<string>();
        foreach (var r in rows)
        {
            var key = string.Join(
                '\u001f',
                r.Where(kv => IsCoordinate(kv.Key))
                    .OrderBy(kv => kv.Key, StringComparer.Ordinal)
                    .Select(kv => kv.Key + "\u001e" + kv.Value)
            );
            if (!groups.TryGetValue(key, out var acc))
            {
                acc = (r, 0, 0);
                order.Add(key);
            }
            double v = TidyFrames.ToNumber(r.TryGetValue("value", out var cell) ? cell : null);
            groups[key] = double.IsFinite(v) ? (acc.first, acc.sum + v, acc.n + 1) : acc;
        }
        return order
            .Select(k =>
            {
                var (first, sum, n) = groups[k];
                var row = first
                    .Where(kv => IsCoordinate(kv.Key))
                    .ToDictionary(kv => kv.Key, kv => kv.Value);
                row["value"] = Csv.Number(n == 0 ? double.NaN : sum / n);
                row["n"] = n.ToString(System.Globalization.CultureInfo.InvariantCulture);
                return (IReadOnlyDictionary<string, string>)row;
            })
            .ToList();
    }

    private static bool IsCoordinate(string column) =>
        !ReplicateColumns.Contains(column) && !MeasureColumns.Contains(column);

    /// <summary>
    /// One quantity as a step × hyper-parameter table: row keys are the steps (ascending), one column per
    /// value of <paramref name="column"/> (named <c>column=value</c>, in order of first appearance), each
    /// cell the mean of <c>value</c> over every other coordinate (seeds, examples, other parameters —
    /// filter first to keep them apart). Missing where a run did not record that step.
    /// </summary>
    /// <param name="tidy">A tidy frame.</param>
    /// <param name="quantity">The quantity to tabulate, e.g. <c>telescoping_error</c>.</param>
    /// <param name="column">The hyper-parameter that labels the columns, e.g. <c>lr</c>.</param>
    /// <param name="split">Keep only this split (<c>train</c>/<c>test</c>); null keeps every row.</param>
    public static Frame<double, string> Pivot(
        Frame<int, string> tidy,
        string quantity,
        string column,
        string? split = null
    )
    {
        var q = TidyFrames.Cells(tidy, "quantity");
        var s = split is null ? null : TidyFrames.Cells(tidy, "split");
        var by = TidyFrames.Cells(tidy, column);
        var step = TidyFrames.Numbers(tidy, "step");
        var value = TidyFrames.Numbers(tidy, "value");
        var sums = new Dictionary<(double, string), (double sum, int n)>();
        var levels = new List<string>();
        for (int i = 0; i < value.Length; i++)
        {
            if (
                q[i] != quantity
                || (s is not null && s[i] != split)
                || double.IsNaN(step[i])
                || !double.IsFinite(value[i])
            )
                continue;
            if (!levels.Contains(by[i]))
                levels.Add(by[i]);
            sums.TryGetValue((step[i], by[i]), out var acc);
            sums[(step[i], by[i])] = (acc.sum + value[i], acc.n + 1);
        }
        if (levels.Count == 0)
            throw new ArgumentException(
                $"no rows of quantity '{quantity}'{(split is null ? "" : $" in split '{split}'")}; quantities present: {string.Join(", ", q.Distinct())}"
            );
        var steps = sums.Keys.Select(k => k.Item1).Distinct().Order().ToArray();
        var b = new FrameBuilder.Columns<double, string>();
        foreach (var level in levels)
            b.Add(
                $"{column}={level}",
                new Series<double, double>(
                    steps,
                    steps.Select(t =>
                        sums.TryGetValue((t, level), out var a) ? a.sum / a.n : double.NaN
                    )
                )
            );
        return b.Frame;
    }

    /// <summary>
    /// Closed-form predictions beside simulated runs. The simulated table is first averaged over seeds
    /// (<see cref="AggregateOverSeeds"/>); each of its rows is then matched with the theory rows that agree
    /// on every column in <paramref name="on"/> and the theory curve is evaluated at the row's step by
    /// linear interpolation (exact at recorded steps; rows outside the theory's step range are dropped).
    /// The prediction is the theory's <c>closed_form</c> column when it has one, else its <c>value</c>.
    /// Columns: the join columns, <c>step</c>, <c>n</c>, <c>simulated</c> (mean over seeds),
    /// <c>ci_low</c>, <c>ci_high</c>, <c>closed_form</c>, <c>abs_error</c>, <c>rel_error</c> (relative to the
    /// closed form, as in theory tables) and <c>within_ci</c> (the prediction lies in the interval).
    /// </summary>
    /// <param name="simulated">Tidy table of runs (several seeds for an interval).</param>
    /// <param name="theory">Tidy table of predictions, a function of <c>step</c>.</param>
    /// <param name="on">Join columns; default: every coordinate column both tables have, except
    /// <c>study</c>, <c>run</c>, <c>seed</c> and <c>step</c>.</param>
    /// <param name="level">Confidence level of the interval.</param>
    public static Frame<int, string> JoinTheory(
        Frame<int, string> simulated,
        Frame<int, string> theory,
        IReadOnlyList<string>? on = null,
        double level = 0.95
    )
    {
        if (!theory.ColumnKeys.Contains("step") || !simulated.ColumnKeys.Contains("step"))
            throw new ArgumentException("both tables need a 'step' column to be joined");
        var excluded = new[] { "study", "step" }
            .Concat(ReplicateColumns)
            .Concat(MeasureColumns)
            .ToHashSet();
        var keys = (
            on
            ?? simulated
                .ColumnKeys.Where(c => theory.ColumnKeys.Contains(c) && !excluded.Contains(c))
                .ToList()
        ).ToList();
        foreach (var k in keys)
            if (!simulated.ColumnKeys.Contains(k) || !theory.ColumnKeys.Contains(k))
                throw new ArgumentException(
                    $"join column '{k}' is missing from the {(simulated.ColumnKeys.Contains(k) ? "theory" : "simulated")} table"
                );
        var predictionColumn = theory.ColumnKeys.Contains("closed_form") ? "closed_form" : "value";

        // theory curves: join key → (step, prediction) sorted by step
        var tKeys = keys.Select(k => TidyFrames.Cells(theory, k)).ToList();
        var tStep = TidyFrames.Numbers(theory, "step");
        var tPred = TidyFrames.Numbers(theory, predictionColumn);
        var curves = new Dictionary<string, List<(double t, double y)>>();
        for (int i = 0; i < tStep.Length; i++)
        {
            if (double.IsNaN(tStep[i]) || double.IsNaN(tPred[i]))
                continue;
            var g = string.Join('\u001f', tKeys.Select(c => c[i]));
            if (!curves.TryGetValue(g, out var curve))
                curves[g] = curve = new();
            curve.Add((tStep[i], tPred[i]));
        }
        foreach (var c in curves.Values)
            c.Sort((a, b) => a.t.CompareTo(b.t));

        var agg = AggregateOverSeeds(simulated, level);
        var aKeys = keys.Select(k => TidyFrames.Cells(agg, k)).ToList();
        var aStep = TidyFrames.Numbers(agg, "step");
        var n = TidyFrames.Numbers(agg, "n");
        var mean = TidyFrames.Numbers(agg, "mean");
        var lo = TidyFrames.Numbers(agg, "ci_low");
        var hi = TidyFrames.Numbers(agg, "ci_high");
        var rows = new List<int>();
        var pred = new List<double>();
        for (int i = 0; i < aStep.Length; i++)
        {
            var g = string.Join('\u001f', aKeys.Select(c => c[i]));
            if (curves.TryGetValue(g, out var curve) && Interpolate(curve, aStep[i]) is { } y)
            {
                rows.Add(i);
                pred.Add(y);
            }
        }
        var b = new FrameBuilder.Columns<int, string>();
        for (int k = 0; k < keys.Count; k++)
            b.Add(keys[k], TidyFrames.TypedColumn(rows.Select(i => (string?)aKeys[k][i]).ToList()));
        b.Add("step", TidyFrames.Series(rows.Select(i => aStep[i]).ToList()));
        b.Add("n", TidyFrames.Series(rows.Select(i => n[i]).ToList()));
        b.Add("simulated", TidyFrames.Series(rows.Select(i => mean[i]).ToList()));
        b.Add("ci_low", TidyFrames.Series(rows.Select(i => lo[i]).ToList()));
        b.Add("ci_high", TidyFrames.Series(rows.Select(i => hi[i]).ToList()));
        b.Add("closed_form", TidyFrames.Series(pred));
        b.Add(
            "abs_error",
            TidyFrames.Series(rows.Select((i, j) => Math.Abs(mean[i] - pred[j])).ToList())
        );
        b.Add(
            "rel_error",
            TidyFrames.Series(
                rows.Select((i, j) => TidySchema.RelativeError(mean[i], pred[j])).ToList()
            )
        );
        b.Add(
            "within_ci",
            TidyFrames.Series(rows.Select((i, j) => pred[j] >= lo[i] && pred[j] <= hi[i]).ToList())
        );
        return b.Frame;
    }

    /// <summary>Linear interpolation of a step-sorted curve at <paramref name="t"/>; null outside its range.</summary>
    public static double? Interpolate(IReadOnlyList<(double t, double y)> curve, double t)
    {
        if (curve.Count == 0 || double.IsNaN(t) || t < curve[0].t || t > curve[^1].t)
            return null;
        int lo = 0,
            hi = curve.Count - 1;
        while (hi - lo > 1)
        {
            int mid = (lo + hi) / 2;
            if (curve[mid].t <= t)
                lo = mid;
            else
                hi = mid;
        }
        var (t0, y0) = curve[lo];
        var (t1, y1) = curve[hi];
        if (t == t0)
            return y0;
        if (t == t1 || t1 == t0)
            return y1;
        return y0 + (y1 - y0) * (t - t0) / (t1 - t0);
    }

    /// <summary>Mean, spread and Student-t interval of a sample.</summary>
    internal readonly record struct Summary(
        int N,
        double Mean,
        double Std,
        double Sem,
        double Low,
        double High
    )
    {
        /// <summary>Summarise <paramref name="xs"/> at confidence <paramref name="level"/>.</summary>
        public static Summary Of(IReadOnlyList<double> xs, double level)
        {
            int n = xs.Count;
            if (n == 0)
                return new(0, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
            double mean = xs.Average();
            if (n == 1)
                return new(1, mean, double.NaN, double.NaN, double.NaN, double.NaN);
            double std = Math.Sqrt(xs.Sum(x => (x - mean) * (x - mean)) / (n - 1));
            double sem = std / Math.Sqrt(n);
            double t = StudentT.InvCDF(0, 1, n - 1, 0.5 + level / 2);
            return new(n, mean, std, sem, mean - t * sem, mean + t * sem);
        }
    }
}
