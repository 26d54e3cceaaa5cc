namespace Telescope.Experiments.Studies.Approximation;

/// <summary>The approximation study's figure and printed summary, both from its saved table.</summary>
internal static class ApproximationReport
{
    /// <summary>Draw <c>approximation.html</c> beside the table; returns the files written.</summary>
    public static IEnumerable<string> Figures(string table, string outDir, string dataSource)
    {
        var html = Path.Combine(outDir, "approximation.html");
        var caption =
            $"Data: {dataSource}\nTable: {Path.GetFileName(table)} (tidy long format); provenance in run.json.\nFirst row: test error against learning rate, log–log, one colour per optimiser setting — solid: telescoping error mean|f_t − f̃_t|, dotted: linearised error mean|f_t − f_lin,t|; points are means over the seeds that learned and did not diverge, bars their range; crosses are flagged runs, drawn alone and left out of the means (hover for the flag: did not learn = final test accuracy ≤ constant predictor + "
            + RunHealth.Margin.ToString(CultureInfo.InvariantCulture)
            + " or training loss not below its start; diverged = training loss non-finite or > "
            + RunHealth.DivergenceFactor.ToString(CultureInfo.InvariantCulture)
            + "× its start; f̃ diverged = final test mean|f − f̃| > "
            + RunHealth.TelescopedBound.ToString(CultureInfo.InvariantCulture)
            + ").";
        Telescope.Plots.Studies.Approximation.figure(table, html, caption);
        return [Path.GetFileName(html), Telescope.Plots.Offline.PlotlyFileName];
    }

    /// <summary>One run's numbers: test errors averaged over logged steps t ≥ 1, final values, and its flags.</summary>
    internal sealed record RunLine(
        string Setting,
        string Lr,
        string Seed,
        double TelMean,
        double LinMean,
        double TelFinal,
        double LinFinal,
        double Acc,
        double AccTel,
        double AccLin,
        RunHealth Health
    );

    /// <summary>
    /// One summary line per (setting, lr): means over the seeds whose runs are healthy (<see cref="RunHealth"/>);
    /// when none is, over all seeds, and the line is flagged. <see cref="RatioLow"/>–<see cref="RatioHigh"/> is the
    /// range of the per-seed ratio AE_lin/AE_tel (of step means) over the seeds averaged; <see cref="LinAboveTel"/> weighs
    /// the claim "the telescoping error is below the linearised error" by <see cref="SeedSpread"/> on the per-seed
    /// log₁₀(AE_lin/AE_tel) of the same seeds (orders of magnitude; the claim holds when its interval lies above 0).
    /// </summary>
    public sealed record Line(
        string Setting,
        string Lr,
        double TelMean,
        double LinMean,
        double TelFinal,
        double LinFinal,
        double Acc,
        double AccTel,
        double AccLin,
        int Seeds,
        int Averaged,
        double RatioLow,
        double RatioHigh,
        string Flags,
        SeedDifference? LinAboveTel = null
    )
    {
        /// <summary>Whether every seed of this line is flagged (its numbers describe no healthy run).</summary>
        public bool Flagged => Averaged == 0;
    }

    /// <summary>Per-run numbers from the table (test split; flags from the run's health rows).</summary>
    public static List<RunLine> Runs(string table) =>
        RunSummary
            .Of(TidyTable.ReadRows(table), ["setting", "lr", "seed"], "test")
            .Select(r => new RunLine(
                r.Key["setting"],
                r.Key["lr"],
                r.Key["seed"],
                r.MeanOf("telescoping_error"),
                r.MeanOf("linearised_error"),
                r.FinalOf("telescoping_error"),
                r.FinalOf("linearised_error"),
                r.FinalOf("accuracy"),
                r.FinalOf("telescoped_accuracy"),
                r.FinalOf("linearised_accuracy"),
                RunHealth.FromTable(r.RunLevel)
            ))
            .ToList();

    /// <summary>
    /// Summarise: per (setting, lr), test errors averaged over logged steps t ≥ 1 and over the healthy seeds; final-step
    /// values; final test accuracy of f, f̃ and f_lin; the flags of the seeds left out.
    /// </summary>
    public static List<Line> Summarise(string table)
    {
        var lines = new List<Line>();
        foreach (var g in Runs(table).GroupBy(r => (r.Setting, r.Lr)))
        {
            var all = g.ToList();
            var healthy = all.Where(r => r.Health.Healthy).ToList();
            var used = healthy.Count > 0 ? healthy : all;
            double Avg(Func<RunLine, double> f) => used.Average(f);
            var ratios = used.Select(r => r.LinMean / r.TelMean).ToList();
            var flags = string.Join(
                "; ",
                all.Where(r => !r.Health.Healthy)
                    .Select(r => $"seed {r.Seed}: {string.Join(", ", r.Health.Flags)}")
            );
            lines.Add(
                new Line(
                    g.Key.Setting,
                    g.Key.Lr,
                    Avg(r => r.TelMean),
                    Avg(r => r.LinMean),
                    Avg(r => r.TelFinal),
                    Avg(r => r.LinFinal),
                    Avg(r => r.Acc),
                    Avg(r => r.AccTel),
                    Avg(r => r.AccLin),
                    all.Count,
                    healthy.Count,
                    ratios.Min(),
                    ratios.Max(),
                    flags,
                    healthy.Count == 0
                        ? null
                        : SeedSpread.OfDifferences(
                            $"{g.Key.Setting} lr {g.Key.Lr}: test AE_tel below AE_lin (log₁₀ AE_lin/AE_tel)",
                            ratios.Select(Math.Log10)
                        )
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
            "Approximation quality on test points (errors: mean over logged steps t ≥ 1, then over the seeds that learned and did not diverge; accuracy: final step)"
        );
        w.WriteLine(
            $"{"setting", -14} {"lr", 8} {"seeds", 5} {"AE_tel mean", 12} {"AE_lin mean", 12} {"lin/tel", 9} {"(range)", 15} {"AE_tel end", 11} {"AE_lin end", 11} {"acc f", 7} {"acc f̃", 7} {"acc lin", 7} {"lin>tel", 9}  flags"
        );
        foreach (var l in lines)
        {
            string ratio = l.Flagged ? "—" : Fmt($"{l.LinMean / l.TelMean:0.0}");
            string range =
                l.Flagged || l.Averaged < 2 ? "" : Fmt($"{l.RatioLow:0.0}–{l.RatioHigh:0.0}");
            w.WriteLine(
                Fmt(
                        $"{l.Setting, -14} {l.Lr, 8} {$"{l.Averaged}/{l.Seeds}", 5} {l.TelMean, 12:0.000e+00} {l.LinMean, 12:0.000e+00} {ratio, 9} {range, 15} {l.TelFinal, 11:0.000e+00} {l.LinFinal, 11:0.000e+00} {l.Acc, 7:0.000} {l.AccTel, 7:0.000} {l.AccLin, 7:0.000} {Short(l.LinAboveTel), 9}  {(l.Flagged ? "ALL FLAGGED — " : "")}{l.Flags}"
                    )
                    .TrimEnd()
            );
        }
        w.WriteLine(
            Fmt(
                $"lin>tel: the claim AE_tel < AE_lin weighed against the seed spread (per-seed log₁₀(AE_lin/AE_tel) of the seeds averaged, {100 * SeedSpread.Confidence:0.#} % Student-t interval over at least {SeedSpread.MinimumSeeds} seeds): holds, noise (not distinguishable from seed noise), opposite, or n=k<{SeedSpread.MinimumSeeds} (too few seeds to tell)."
            )
        );
        int runs = lines.Sum(l => l.Seeds),
            flagged = runs - lines.Sum(l => l.Averaged);
        // regression runs write no accuracy: their flags compare the test loss with the constant predictor's
        bool regression = lines.Count > 0 && lines.All(l => double.IsNaN(l.Acc));
        string learned = regression
            ? Fmt(
                $"final test loss below {1 - RunHealth.Margin}× the constant predictor's (the mean training target), and training loss below its start"
            )
            : Fmt(
                $"final test accuracy above the constant predictor's + {RunHealth.Margin}, and training loss below its start"
            );
        string bound = regression
            ? Fmt($"{RunHealth.TelescopedBound}× the targets' range")
            : Fmt($"{RunHealth.TelescopedBound}");
        w.WriteLine(
            flagged == 0
                ? $"All {runs} runs learned ({learned}) and none diverged."
                : Fmt(
                    $"{flagged} of {runs} runs flagged and left out of the means — learned means: {learned}; diverged: training loss non-finite or > {RunHealth.DivergenceFactor}× its start; f̃ diverged: final test mean|f − f̃| > {bound}."
                )
        );
    }

    private static string Fmt(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    /// <summary>The verdict of <see cref="Line.LinAboveTel"/> in a table cell.</summary>
    private static string Short(SeedDifference? d) =>
        d?.Verdict switch
        {
            SeedVerdict.Holds => "holds",
            SeedVerdict.Noise => "noise",
            SeedVerdict.Opposite => "opposite",
            SeedVerdict.TooFewSeeds => $"n={d.Seeds}<{SeedSpread.MinimumSeeds}",
            _ => "",
        };
}
