using static Telescope.Experiments.Studies.SmootherReport;

namespace Telescope.Experiments.Studies.Grokking;

/// <summary>The figure and printed summary of grokking (paper Fig. 4), from its saved table.</summary>
internal static class GrokkingReport
{
    private static double Num(IReadOnlyDictionary<string, string> r, string c) =>
        TidyCells.Number(r, c);

    /// <summary>Write <c>grokking.html</c> (the delay verdict, <see cref="GrokkingVerdict"/>, heads its caption); returns the files written.</summary>
    public static IEnumerable<string> Figures(string table, string outDir, string dataSource)
    {
        var html = Path.Combine(outDir, "grokking.html");
        Telescope.Plots.Studies.Grokking.figure(
            table,
            html,
            Caption(GrokkingVerdict.Sentence(TidyTable.ReadRows(table)) + "\n", table, dataSource)
        );
        return [Path.GetFileName(html), Telescope.Plots.Offline.PlotlyFileName];
    }

    /// <summary>Grokking: per setting, a row per selected logged step (about 10, log-spaced), averaged over seeds; then the delay verdict.</summary>
    public static void PrintSummary(string table, TextWriter w)
    {
        var rows = TidyTable.ReadRows(table).ToList();
        w.WriteLine();
        w.WriteLine(GateNote);
        foreach (
            var g in rows.GroupBy(r =>
                $"task={r["task"]} epsilon={r["epsilon"]} alpha={r["alpha"]}"
            )
        )
        {
            var ix = Index(g);
            var steps = ix
                .Keys.Select(k => k.step)
                .Where(s => !double.IsNaN(s))
                .Distinct()
                .OrderBy(s => s)
                .ToList();
            var pick =
                steps.Count <= 12
                    ? steps
                    : Enumerable
                        .Range(0, 12)
                        .Select(i => steps[(int)Math.Round(i * (steps.Count - 1) / 11.0)])
                        .Distinct()
                        .ToList();
            double V(double s, string q, string split = "") =>
                ix.TryGetValue((s, q, split), out var v) ? v : double.NaN;
            w.WriteLine();
            w.WriteLine(g.Key);
            w.WriteLine(
                $"{"step", 8} {"loss tr", 10} {"loss te", 10} {"acc tr", 7} {"acc te", 7} {"p_train", 9} {"p_test", 9} {"AE_tel te", 10} {"gap te", 10} {"gate", 5}"
            );
            foreach (var s in pick)
                w.WriteLine(
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"{s, 8} {V(s, "loss", "train"), 10:0.0000e+0} {V(s, "loss", "test"), 10:0.0000e+0} {V(s, "accuracy", "train"), 7:0.000} {V(s, "accuracy", "test"), 7:0.000} {V(s, "effective_parameters", "train"), 9:0.00} {V(s, "effective_parameters", "test"), 9:0.00} {V(s, "telescoping_error", "test"), 10:0.00e+0} {V(s, "smoother_gap", "test"), 10:0.00e+0} {V(s, "gate_passed"), 5:0}"
                    )
                );
        }
        w.WriteLine();
        w.WriteLine(GrokkingVerdict.Sentence(rows));
    }
}
