namespace Telescope.Experiments.Studies.Grokking;

/// <summary>
/// The grokking delay weighed against the seed spread (issue 29). For one run and one split, the midpoint step t½ is
/// the first logged step at which the loss is at or below √(L_first · L_last) — halfway, on the log scale the figure
/// uses, from its first logged value to its last; NaN when the loss did not fall (L_last ≥ L_first, or a value
/// ≤ 0). The delay of a run is t½(test) − t½(train) in steps; the claim "test loss lags train loss" is judged by
/// <see cref="SeedSpread.OfDifferences"/> over the seeds of each setting (task, ε, α).
/// </summary>
internal static class GrokkingVerdict
{
    /// <summary>The first step whose loss is ≤ √(L_first·L_last) of a step-sorted curve; NaN when the loss did not fall.</summary>
    public static double MidpointStep(IReadOnlyList<(double step, double loss)> curve)
    {
        if (curve.Count < 2)
            return double.NaN;
        double first = curve[0].loss,
            last = curve[^1].loss;
        if (!(first > 0 && last > 0 && last < first))
            return double.NaN;
        double target = Math.Sqrt(first * last);
        foreach (var (step, loss) in curve)
            if (loss <= target)
                return step;
        return double.NaN;
    }

    /// <summary>Per setting ("task=… epsilon=… alpha=…"), the claim that test loss reaches its midpoint later than train loss.</summary>
    public static IReadOnlyList<(string Setting, SeedDifference Delay)> Delays(
        IEnumerable<IReadOnlyDictionary<string, string>> rows
    )
    {
        var result = new List<(string, SeedDifference)>();
        foreach (
            var g in rows.Where(r => TidyCells.Text(r, "quantity") == "loss")
                .GroupBy(r =>
                    $"task={TidyCells.Text(r, "task")} epsilon={TidyCells.Text(r, "epsilon")} alpha={TidyCells.Text(r, "alpha")}"
                )
        )
        {
            var delays = g.GroupBy(r => TidyCells.Text(r, "seed"))
                .Select(run =>
                {
                    double Mid(string split) =>
                        MidpointStep(
                            run.Where(r => TidyCells.Text(r, "split") == split)
                                .Select(r =>
                                    (TidyCells.Number(r, "step"), TidyCells.Number(r, "value"))
                                )
                                .Where(x => double.IsFinite(x.Item1) && double.IsFinite(x.Item2))
                                .OrderBy(x => x.Item1)
                                .ToList()
                        );
                    return Mid("test") - Mid("train");
                });
            result.Add(
                (
                    g.Key,
                    SeedSpread.OfDifferences(
                        $"grokking delay, {g.Key} (steps from train loss to test loss reaching its log-midpoint)",
                        delays
                    )
                )
            );
        }
        return result;
    }

    /// <summary>The verdict lines (one per setting), as printed and as the figure caption's head.</summary>
    public static string Sentence(IEnumerable<IReadOnlyDictionary<string, string>> rows) =>
        SeedRows.Lines(Delays(rows).Select(d => d.Delay), "0");
}
