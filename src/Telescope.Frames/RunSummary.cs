namespace Telescope.Frames;

/// <summary>
/// One run of a tidy table in a few numbers, for summaries and figures that compare runs: for each quantity of one
/// split, its mean over logged steps t ≥ 1 (<see cref="Mean"/>) and its value at the split's last logged step
/// (<see cref="Final"/>, averaged over examples/outputs sharing that step); and each split-free quantity at its last
/// step (<see cref="RunLevel"/>: run verdicts such as flags). Rows that carry an <c>example</c> or <c>output</c>
/// index are left out of the means (they are per-example detail, not the run's summary).
/// </summary>
/// <param name="Key">The run's values of the grouping columns.</param>
/// <param name="Mean">Quantity → mean over steps t ≥ 1 (NaN when it has no such step).</param>
/// <param name="Final">Quantity → value at the last logged step.</param>
/// <param name="RunLevel">Split-free quantity → value at its last step.</param>
public sealed record RunSummary(
    IReadOnlyDictionary<string, string> Key,
    IReadOnlyDictionary<string, double> Mean,
    IReadOnlyDictionary<string, double> Final,
    IReadOnlyDictionary<string, double> RunLevel
)
{
    /// <summary>
    /// One summary per distinct combination of <paramref name="keyColumns"/> (for example setting, lr, seed), in order
    /// of first appearance, from the rows of <paramref name="split"/>.
    /// </summary>
    public static IReadOnlyList<RunSummary> Of(
        IEnumerable<IReadOnlyDictionary<string, string>> rows,
        IReadOnlyList<string> keyColumns,
        string split
    )
    {
        static double Num(IReadOnlyDictionary<string, string> r, string c) =>
            TidyCells.Number(r, c);
        static string Cell(IReadOnlyDictionary<string, string> r, string c) => TidyCells.Text(r, c);
        var result = new List<RunSummary>();
        foreach (
            var run in rows.Where(r => Cell(r, "example") == "" && Cell(r, "output") == "")
                .GroupBy(r => string.Join("\u001f", keyColumns.Select(c => Cell(r, c))))
        )
        {
            var list = run.ToList();
            var inSplit = list.Where(r => Cell(r, "split") == split).ToList();
            double last = inSplit.Count == 0 ? double.NaN : inSplit.Max(r => Num(r, "step"));
            var mean = new Dictionary<string, double>();
            var final = new Dictionary<string, double>();
            foreach (var q in inSplit.GroupBy(r => Cell(r, "quantity")))
            {
                mean[q.Key] = q.Where(r => Num(r, "step") >= 1)
                    .Select(r => Num(r, "value"))
                    .DefaultIfEmpty(double.NaN)
                    .Average();
                final[q.Key] = q.Where(r => Num(r, "step") == last)
                    .Select(r => Num(r, "value"))
                    .DefaultIfEmpty(double.NaN)
                    .Average();
            }
            var runLevel = list.Where(r => Cell(r, "split") == "")
                .GroupBy(r => Cell(r, "quantity"))
                .ToDictionary(q => q.Key, q => Num(q.MaxBy(r => Num(r, "step"))!, "value"));
            result.Add(
                new RunSummary(
                    keyColumns.ToDictionary(c => c, c => Cell(list[0], c)),
                    mean,
                    final,
                    runLevel
                )
            );
        }
        return result;
    }

    /// <summary>A mean over steps, NaN when absent.</summary>
    public double MeanOf(string quantity) => Mean.GetValueOrDefault(quantity, double.NaN);

    /// <summary>A final value, NaN when absent.</summary>
    public double FinalOf(string quantity) => Final.GetValueOrDefault(quantity, double.NaN);

    /// <summary>Whether a split-free 0/1 quantity is 1 (a flag).</summary>
    public bool Flag(string quantity) => RunLevel.GetValueOrDefault(quantity) == 1;
}
