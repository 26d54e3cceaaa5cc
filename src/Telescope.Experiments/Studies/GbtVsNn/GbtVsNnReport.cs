namespace Telescope.Experiments.Studies.GbtVsNn;

/// <summary>The figure and printed summary of gbt-vs-nn (paper Fig. 5), from its saved table.</summary>
internal static class GbtVsNnReport
{
    private static double Num(IReadOnlyDictionary<string, string> r, string c) =>
        TidyCells.Number(r, c);

    private static string Cell(IReadOnlyDictionary<string, string> r, string c) =>
        TidyCells.Text(r, c);

    /// <summary>Write <c>gbt-vs-nn.html</c> beside the table (the verdict, <see cref="GbtVsNnVerdict"/>, heads its caption); returns the files written.</summary>
    public static IEnumerable<string> Figures(string table, string outDir, string source)
    {
        var html = Path.Combine(outDir, "gbt-vs-nn.html");
        var caption =
            GbtVsNnVerdict.Sentence(TidyTable.ReadRows(table))
            + $"\nData: {source}\nTable: {Path.GetFileName(table)} (tidy long format); provenance in run.json. Means over seeds.\nR(p) = mean_t max_test ‖k_t‖ / mean_t max_train ‖k_t‖; NN: plain tangent kernel at θ_(t−1), ‖K(x, X_B)‖/b; GBT: 1/√n_leaf.";
        Telescope.Plots.Studies.GbtVsNn.figure(table, html, caption);
        return [Path.GetFileName(html), Telescope.Plots.Offline.PlotlyFileName];
    }

    /// <summary>Print, per irregular share p, the means over seeds of the MSEs, ΔMSE(p)/ΔMSE(0), R_NN and R_GBT.</summary>
    public static void PrintSummary(string table, TextWriter w)
    {
        var rows = TidyTable.ReadRows(table).ToList();
        w.WriteLine();
        w.WriteLine(
            "GBT vs NN on irregular inputs [synthetic houses-like table, a SUBSTITUTE] — means over seeds"
        );
        foreach (
            var q in new[]
            {
                "gbt_depth",
                "gbt_eta",
                "gbt_trees",
                "nn_lr",
                "gbt_validation_mse",
                "nn_validation_mse",
            }
        )
        {
            // the selected model's rows (nn_validation_mse also has one row per rate of the grid, column lr)
            var vals = rows.Where(r => r["quantity"] == q && Cell(r, "lr") == "")
                .Select(r => (r["seed"], Num(r, "value")))
                .ToList();
            w.WriteLine(
                $"  {q, -20} "
                    + string.Join(
                        "  ",
                        vals.Select(v =>
                            string.Create(CultureInfo.InvariantCulture, $"s{v.Item1}: {v.Item2:G4}")
                        )
                    )
            );
        }
        w.WriteLine(
            $"{"p", 6} {"MSE_NN", 9} {"MSE_GBT", 9} {"ΔMSE/ΔMSE(0)", 13} {"R_NN", 8} {"R_GBT", 8}"
        );
        var means = TidyQueries.MeanOverSeeds(rows.Where(r => Cell(r, "p") != ""));
        foreach (var g in means.GroupBy(r => r["p"]))
        {
            double M(string q) =>
                g.Where(r => r["quantity"] == q)
                    .Select(r => Num(r, "value"))
                    .DefaultIfEmpty(double.NaN)
                    .First();
            w.WriteLine(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"{g.Key, 6} {M("mse_nn"), 9:0.0000} {M("mse_gbt"), 9:0.0000} {M("relative_mse"), 13:0.000} {M("r_nn"), 8:0.000} {M("r_gbt"), 8:0.000}"
                )
            );
        }
        w.WriteLine(GbtVsNnVerdict.Sentence(rows));
    }
}
