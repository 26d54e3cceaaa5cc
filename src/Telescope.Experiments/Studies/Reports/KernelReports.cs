using System.Globalization;
using Telescope.Frames;
using Telescope.Studies;

namespace Telescope.Experiments.Studies;

/// <summary>Figures and printed summaries of the kernel studies (grokking, double descent), from their saved tables.</summary>
public static class KernelReports
{
    private static double Num(IReadOnlyDictionary<string, string> r, string c) =>
        TidyCells.Number(r, c);

    private const string GateNote =
        "gate_passed = 1 when test mean|f − f̃| and mean|f̂ − f̃| are both ≤ 5% of the label scale (spec §6); effective parameters where it is 0 are NOT trustworthy and are marked 'GATE FAILED' in the figure.";

    /// <summary>Write <c>&lt;study&gt;.html</c>; returns the files written.</summary>
    public static IEnumerable<string> Figures(
        string study,
        string table,
        string outDir,
        string dataSource
    )
    {
        var html = Path.Combine(outDir, study + ".html");
        var verdict =
            study == "double-descent"
                ? DoubleDescentSummary
                    .Verdict(DoubleDescentSummary.Widths(TidyTable.ReadRows(table)))
                    .Sentence + "\n"
                : "";
        var caption =
            $"{verdict}Data: {dataSource}\nTable: {Path.GetFileName(table)} (tidy long format); provenance in run.json.\n{GateNote}";
        if (study == "grokking")
            Telescope.Plots.KernelFigures.grokking(table, html, caption);
        else
            Telescope.Plots.KernelFigures.doubleDescent(table, html, caption);
        return [Path.GetFileName(html), Telescope.Plots.Offline.PlotlyFileName];
    }

    // the means over seeds of one setting's rows, by (step, quantity, split)
    private static Dictionary<(double step, string q, string split), double> Index(
        IEnumerable<IReadOnlyDictionary<string, string>> rows
    ) =>
        TidyQueries
            .MeanOverSeeds(rows)
            .GroupBy(r =>
                (Num(r, "step"), r["quantity"], r.TryGetValue("split", out var s) ? s : "")
            )
            .ToDictionary(g => g.Key, g => Num(g.First(), "value"));

    /// <summary>Grokking: per setting, a row per selected logged step (about 10, log-spaced), averaged over seeds.</summary>
    public static void PrintGrokking(string table, TextWriter w)
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
    }

    /// <summary>Double descent: one row per width (final step of each run, averaged over seeds), then the verdict.</summary>
    public static void PrintDoubleDescent(string table, TextWriter w)
    {
        var widths = DoubleDescentSummary.Widths(TidyTable.ReadRows(table));
        w.WriteLine();
        w.WriteLine(GateNote);
        w.WriteLine(
            $"{"width", 6} {"P", 7} {"steps", 7} {"acc tr", 7} {"loss tr", 9} {"loss te", 9} {"acc te", 7} {"p_train", 9} {"p_test", 9} {"AE_tel te", 10} {"gap te", 9} {"gate", 5}"
        );
        foreach (var x in widths)
            w.WriteLine(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"{x.Width, 6} {x.Parameters, 7} {x.Steps, 7:0} {x.TrainAccuracy, 7:0.000} {x.TrainLoss, 9:0.0000} {x.TestLoss, 9:0.0000} {x.TestAccuracy, 7:0.000} {x.PTrain, 9:0.0} {x.PTest, 9:0.0} {x.TestTelescopingError, 10:0.000e+0} {x.TestSmootherGap, 9:0.000} {x.GatePassed, 5:0.##}"
                )
            );
        w.WriteLine();
        w.WriteLine(DoubleDescentSummary.Verdict(widths).Sentence);
    }
}
