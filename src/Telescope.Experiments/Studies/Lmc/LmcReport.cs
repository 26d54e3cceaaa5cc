namespace Telescope.Experiments.Studies.Lmc;

/// <summary>The figure and printed summary of lmc (paper Fig. 6), from its saved table.</summary>
internal static class LmcReport
{
    private static double Num(IReadOnlyDictionary<string, string> r, string c) =>
        TidyCells.Number(r, c);

    private static string Cell(IReadOnlyDictionary<string, string> r, string c) =>
        TidyCells.Text(r, c);

    /// <summary>Write <c>lmc.html</c> beside the table (the barrier verdict, <see cref="LmcVerdict"/>, heads its caption); returns the files written.</summary>
    public static IEnumerable<string> Figures(string table, string outDir, string source)
    {
        var html = Path.Combine(outDir, "lmc.html");
        var caption =
            LmcVerdict.Sentence(TidyTable.ReadRows(table))
            + $"\nData: {source}\nTable: {Path.GetFileName(table)} (tidy long format); provenance in run.json. Means over seeds.\nBarrier = max over α (and at α = ½) of [error(αθ₁+(1−α)θ₂) − (α·error(θ₁)+(1−α)·error(θ₂))]; BN statistics interpolated like weights.";
        Telescope.Plots.Studies.Lmc.figure(table, html, caption);
        return [Path.GetFileName(html), Telescope.Plots.Offline.PlotlyFileName];
    }

    /// <summary>Per model: barrier (max and α = ½) and child error against t′, and the gradient change per layer against t′ (means over seeds).</summary>
    public static void PrintSummary(string table, TextWriter w)
    {
        var rows = TidyTable.ReadRows(table).ToList();
        w.WriteLine();
        w.WriteLine(
            "Linear mode connectivity on Fashion-MNIST (test error barrier between two children spawned at t′; means over seeds)"
        );
        var means = TidyQueries.MeanOverSeeds(rows);
        double Q(
            IEnumerable<IReadOnlyDictionary<string, string>> m,
            string q,
            double? step = null
        ) =>
            m.Where(r => r["quantity"] == q && (step is null || Num(r, "step") == step))
                .Select(r => Num(r, "value"))
                .DefaultIfEmpty(double.NaN)
                .First();
        foreach (var m in means.GroupBy(r => r["model"]))
        {
            w.WriteLine(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"model {m.Key}: trunk test error {Q(m, "test_error"):0.000}"
                )
            );
            w.WriteLine(
                $"  {"t′", 6} {"err barrier max", 16} {"err barrier ½", 14} {"loss barrier max", 17} {"child error", 12}"
            );
            foreach (
                var t in m.Where(r => r["quantity"] == "error_barrier_max")
                    .Select(r => Num(r, "step"))
                    .Order()
            )
                w.WriteLine(
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"  {t, 6} {Q(m, "error_barrier_max", t), 16:0.0000} {Q(m, "error_barrier_half", t), 14:0.0000} {Q(m, "loss_barrier_max", t), 17:0.0000} {Q(m, "child_error", t), 12:0.0000}"
                    )
                );
            var grads = m.Where(r => r["quantity"] == "gradient_change").ToList();
            var layers = grads.Select(r => Cell(r, "layer")).Distinct().ToList();
            w.WriteLine(
                $"  gradient change of the true-class logit (rows t′; columns layers): {string.Join(", ", layers)}"
            );
            foreach (var g in grads.GroupBy(r => Num(r, "step")).OrderBy(g => g.Key))
                w.WriteLine(
                    string.Create(CultureInfo.InvariantCulture, $"  {g.Key, 6} ")
                        + string.Join(
                            " ",
                            layers.Select(l =>
                                g.Where(r => Cell(r, "layer") == l)
                                    .Select(r => Num(r, "value"))
                                    .DefaultIfEmpty(double.NaN)
                                    .First()
                                    .ToString("0.000e+00", CultureInfo.InvariantCulture)
                                    .PadLeft(11)
                            )
                        )
                );
        }
        w.WriteLine(LmcVerdict.Sentence(rows));
    }
}
