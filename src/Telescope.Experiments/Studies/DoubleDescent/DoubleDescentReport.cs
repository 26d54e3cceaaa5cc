using static Telescope.Experiments.Studies.SmootherReport;

namespace Telescope.Experiments.Studies.DoubleDescent;

/// <summary>The figure and printed summary of double descent (paper Fig. 3), from its saved table.</summary>
internal static class DoubleDescentReport
{
    /// <summary>Write <c>double-descent.html</c> (the verdict heads its caption); returns the files written.</summary>
    public static IEnumerable<string> Figures(string table, string outDir, string dataSource)
    {
        var html = Path.Combine(outDir, "double-descent.html");
        var verdict =
            DoubleDescentSummary
                .Verdict(DoubleDescentSummary.Widths(TidyTable.ReadRows(table)))
                .Sentence + "\n";
        Telescope.Plots.Studies.DoubleDescent.figure(
            table,
            html,
            Caption(verdict, table, dataSource)
        );
        return [Path.GetFileName(html), Telescope.Plots.Offline.PlotlyFileName];
    }

    /// <summary>Double descent: one row per width (final step of each run, averaged over seeds), then the verdict.</summary>
    public static void PrintSummary(string table, TextWriter w)
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
