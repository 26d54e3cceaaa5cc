using System.Globalization;
using Telescope.Frames;

namespace Telescope.Experiments.Studies;

/// <summary>The approximation study's figure and printed summary, both from its saved table.</summary>
public static class ApproximationReport
{
    /// <summary>Draw <c>approximation.html</c> beside the table; returns the files written.</summary>
    public static IEnumerable<string> Figures(string table, string outDir, string dataSource)
    {
        var html = Path.Combine(outDir, "approximation.html");
        var caption =
            $"Data: {dataSource}\nTable: {Path.GetFileName(table)} (tidy long format); provenance in run.json.\nSolid: telescoping error mean|f_t − f̃_t|; dotted: linearised error mean|f_t − f_lin,t| (means over seeds).";
        Telescope.Plots.StudyFigures.approximation(table, html, caption);
        return [Path.GetFileName(html), Telescope.Plots.Offline.PlotlyFileName];
    }

    /// <summary>One summary line per (setting, lr).</summary>
    public sealed record Line(
        string Setting,
        string Lr,
        double TelMean,
        double LinMean,
        double TelFinal,
        double LinFinal,
        double Acc,
        double AccTel,
        double AccLin
    );

    /// <summary>
    /// Summarise: test errors averaged over logged steps t ≥ 1 and over seeds; final-step values; final
    /// test accuracy of f, f̃ and f_lin.
    /// </summary>
    public static List<Line> Summarise(string table)
    {
        var rows = TidyTable.ReadRows(table).Where(r => r["split"] == "test").ToList();
        double Num(IReadOnlyDictionary<string, string> r, string c) =>
            double.Parse(r[c], NumberStyles.Float, CultureInfo.InvariantCulture);
        var lines = new List<Line>();
        foreach (var g in rows.GroupBy(r => (r["setting"], r["lr"])))
        {
            var list = g.ToList();
            double last = list.Max(r => Num(r, "step"));
            double Mean(string q) =>
                list.Where(r => r["quantity"] == q && Num(r, "step") >= 1)
                    .Select(r => Num(r, "value"))
                    .DefaultIfEmpty(double.NaN)
                    .Average();
            double Final(string q) =>
                list.Where(r => r["quantity"] == q && Num(r, "step") == last)
                    .Select(r => Num(r, "value"))
                    .DefaultIfEmpty(double.NaN)
                    .Average();
            lines.Add(
                new Line(
                    g.Key.Item1,
                    g.Key.Item2,
                    Mean("telescoping_error"),
                    Mean("linearised_error"),
                    Final("telescoping_error"),
                    Final("linearised_error"),
                    Final("accuracy"),
                    Final("telescoped_accuracy"),
                    Final("linearised_accuracy")
                )
            );
        }
        return lines;
    }

    /// <summary>Print the summary table.</summary>
    public static void PrintSummary(string table, TextWriter w)
    {
        var lines = Summarise(table);
        w.WriteLine();
        w.WriteLine(
            "Approximation quality on test points (errors: mean over logged steps t ≥ 1 and seeds; accuracy: final step)"
        );
        w.WriteLine(
            $"{"setting", -14} {"lr", 8} {"AE_tel mean", 12} {"AE_lin mean", 12} {"lin/tel", 9} {"AE_tel end", 11} {"AE_lin end", 11} {"acc f", 7} {"acc f̃", 7} {"acc lin", 7}"
        );
        foreach (var l in lines)
            w.WriteLine(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"{l.Setting, -14} {l.Lr, 8} {l.TelMean, 12:0.000e+00} {l.LinMean, 12:0.000e+00} {l.LinMean / l.TelMean, 9:0.0} {l.TelFinal, 11:0.000e+00} {l.LinFinal, 11:0.000e+00} {l.Acc, 7:0.000} {l.AccTel, 7:0.000} {l.AccLin, 7:0.000}"
                )
            );
    }
}
