using System.Text.Json;
using Telescope.Counterfactual;
using Telescope.Tensors;

namespace Telescope.Experiments.Studies.AttributionLadder;

/// <summary>The figure, the .npy interchange and the printed ladder of the attribution study, from its saved table.</summary>
internal static class AttributionLadderReport
{
    private static double Num(IReadOnlyDictionary<string, string> r, string c) =>
        TidyCells.Number(r, c);

    private static string Cell(IReadOnlyDictionary<string, string> r, string c) =>
        TidyCells.Text(r, c);

    private static int Int(IReadOnlyDictionary<string, string> r, string c) =>
        int.Parse(Cell(r, c), CultureInfo.InvariantCulture);

    /// <summary>The folder of the .npy interchange, beside the table.</summary>
    public const string NpyFolder = "attribution-npy";

    /// <summary>Write <c>attribution.html</c> and the .npy interchange (<see cref="Export"/>) beside the table.</summary>
    public static IEnumerable<string> Figures(string table, string outDir, string source)
    {
        var html = Path.Combine(outDir, "attribution-ladder.html");
        var caption =
            $"Data: {source}\nTable: {Path.GetFileName(table)} (tidy long format); provenance in run.json.\nMeasurement f(x): the true-class logit. LOO(x, i) = f_T(x) − f_T without row i, by replay (same θ_0 and batches, the row masked out). Points: one per seed; bars: 95% percentile bootstrap over test rows. LDS: Spearman over random half-subsets of the candidates.";
        Telescope.Plots.Studies.AttributionLadder.figure(table, html, caption);
        Export(table, Path.Combine(outDir, NpyFolder));
        return [Path.GetFileName(html), Telescope.Plots.Offline.PlotlyFileName, NpyFolder];
    }

    /// <summary>
    /// The interchange: per optimiser and seed, every provider's <c>score[test, candidate]</c> (LOO included) as
    /// float64 .npy, the LDS masks <c>kept[subset, candidate]</c> (0/1), the replayed outputs
    /// <c>lds_output[subset, test]</c>, <c>f_final[test]</c> and <c>labels[test]</c>, with <c>index.json</c> stating
    /// each file's shape, meaning, unit and sign, so that another method can be scored against the same ground truth.
    /// </summary>
    public static void Export(string table, string dir)
    {
        var rows = TidyTable.ReadRows(table).ToList();
        Directory.CreateDirectory(dir);
        var files = new List<Dictionary<string, object>>();
        var scores = rows.Where(r => r["quantity"] == "score").ToList();
        var cand = scores.Select(r => Int(r, "train_example")).Distinct().Order().ToArray();
        int tests = scores.Select(r => Int(r, "example")).Distinct().Count();
        var col = cand.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => x.i);
        void Write(string name, double[] data, long[] shape, string meaning)
        {
            Npy.Write(Path.Combine(dir, name), data, shape);
            files.Add(
                new()
                {
                    ["file"] = name,
                    ["shape"] = shape,
                    ["meaning"] = meaning,
                }
            );
        }
        foreach (
            var g in scores
                .GroupBy(r => (o: Cell(r, "optimizer"), s: Cell(r, "seed"), p: Cell(r, "provider")))
                .OrderBy(g => g.Key)
        )
        {
            var a = new double[tests * cand.Length];
            foreach (var r in g)
                a[Int(r, "example") * cand.Length + col[Int(r, "train_example")]] = Num(r, "value");
            Write(
                $"{g.Key.o}-s{g.Key.s}-{g.Key.p}.npy",
                a,
                [tests, cand.Length],
                g.Key.p == "loo"
                    ? "exact leave-one-out f_T(x) − f_T^{−i}(x) by replay [test, candidate]"
                    : $"{g.Key.p} score [test, candidate]"
            );
        }
        var kept = rows.Where(r => r["quantity"] == "lds_kept").ToList();
        if (kept.Count > 0)
        {
            var first = kept.Where(r =>
                    Cell(r, "optimizer") == Cell(kept[0], "optimizer")
                    && Cell(r, "seed") == Cell(kept[0], "seed")
                )
                .ToList();
            int m = first.Select(r => Int(r, "subset")).Max() + 1;
            var a = new double[m * cand.Length];
            foreach (var r in first)
                a[Int(r, "subset") * cand.Length + col[Int(r, "train_example")]] = Num(r, "value");
            Write(
                "lds-kept.npy",
                a,
                [m, cand.Length],
                "1 when candidate i is in LDS subset j (the same masks for every optimiser and seed) [subset, candidate]"
            );
            foreach (
                var g in rows.Where(r => r["quantity"] == "lds_output")
                    .GroupBy(r => (o: Cell(r, "optimizer"), s: Cell(r, "seed")))
                    .OrderBy(g => g.Key)
            )
            {
                var o = new double[m * tests];
                foreach (var r in g)
                    o[Int(r, "subset") * tests + Int(r, "example")] = Num(r, "value");
                Write(
                    $"{g.Key.o}-s{g.Key.s}-lds-output.npy",
                    o,
                    [m, tests],
                    "f_T(x) of the replay trained without the candidates outside subset j [subset, test]"
                );
            }
        }
        foreach (var q in new[] { "f_final", "label" })
        foreach (
            var g in rows.Where(r => r["quantity"] == q)
                .GroupBy(r => (o: Cell(r, "optimizer"), s: Cell(r, "seed")))
                .OrderBy(g => g.Key)
        )
        {
            var o = new double[tests];
            foreach (var r in g)
                o[Int(r, "example")] = Num(r, "value");
            Write(
                $"{g.Key.o}-s{g.Key.s}-{q}.npy",
                o,
                [tests],
                q == "label"
                    ? "class of test row x"
                    : "f_T(x), the true-class logit of the recorded run"
            );
        }
        var index = new Dictionary<string, object>
        {
            ["table"] = Path.GetFileName(table),
            ["candidates"] = cand,
            ["measurement"] =
                "f(x) = the true-class logit of test row x (test rows in the table's example order)",
            ["unit"] = ScoreProviders.LogitUnit,
            ["sign"] = "positive = including the training row raised f(x)",
            ["lds"] =
                "LDS(x) = Spearman over subsets j of Σ_{i∈S_j} score(x, i) and lds_output[j, x]; average ranks for ties",
            ["files"] = files,
        };
        File.WriteAllText(
            Path.Combine(dir, "index.json"),
            JsonSerializer.Serialize(index, new JsonSerializerOptions { WriteIndented = true })
        );
    }

    /// <summary>The LOO table of one optimiser and seed, from the saved rows.</summary>
    private static ScoreTable? Table(
        List<IReadOnlyDictionary<string, string>> scores,
        string opt,
        string seed,
        string provider
    )
    {
        var rs = scores
            .Where(r =>
                Cell(r, "optimizer") == opt
                && Cell(r, "seed") == seed
                && Cell(r, "provider") == provider
            )
            .ToList();
        if (rs.Count == 0)
            return null;
        var cand = rs.Select(r => Int(r, "train_example")).Distinct().Order().ToArray();
        int tests = rs.Select(r => Int(r, "example")).Max() + 1;
        var col = cand.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => x.i);
        var a = new double[tests, cand.Length];
        foreach (var r in rs)
            a[Int(r, "example"), col[Int(r, "train_example")]] = Num(r, "value");
        return new ScoreTable(provider, ScoreProviders.LogitUnit, cand, a, double.NaN);
    }

    /// <summary>Print the ladder per optimiser and seed (estimate [95% interval]), the seed spread, LOO's own reproducibility across seeds, closure and sanity.</summary>
    public static void PrintSummary(string table, TextWriter w)
    {
        var rows = TidyTable.ReadRows(table).ToList();
        var ladder = rows.Where(r => r["quantity"] == "ladder").ToList();
        string Key(IReadOnlyDictionary<string, string> r) =>
            $"{Cell(r, "optimizer")}|{Cell(r, "seed")}|{Cell(r, "provider")}|{Cell(r, "metric")}";
        var low = rows.Where(r => r["quantity"] == "ladder_low")
            .ToDictionary(Key, r => Num(r, "value"));
        var high = rows.Where(r => r["quantity"] == "ladder_high")
            .ToDictionary(Key, r => Num(r, "value"));
        string F(double v) =>
            double.IsNaN(v) ? "n/a" : v.ToString("0.000", CultureInfo.InvariantCulture);
        w.WriteLine();
        w.WriteLine(
            "Attribution ladder (issue 27): agreement with exact LOO by replay; estimate [95% bootstrap over test rows]"
        );
        var metrics = new[] { "pearson", "spearman", "lds" };
        foreach (var og in ladder.GroupBy(r => Cell(r, "optimizer")))
        {
            w.WriteLine($"\n{og.Key}");
            w.WriteLine(
                $"  {"provider", -20} {"seed", 4}  {"Pearson vs LOO", -24} {"Spearman vs LOO", -24} {"LDS", -24}"
            );
            foreach (var pg in og.GroupBy(r => Cell(r, "provider")))
            {
                foreach (var sg in pg.GroupBy(r => Cell(r, "seed")))
                {
                    string C(string m)
                    {
                        var r = sg.FirstOrDefault(x => Cell(x, "metric") == m);
                        return r is null
                            ? ""
                            : $"{F(Num(r, "value"))} [{F(low[Key(r)])}, {F(high[Key(r)])}]";
                    }
                    w.WriteLine(
                        $"  {pg.Key, -20} {sg.Key, 4}  {C("pearson"), -24} {C("spearman"), -24} {C("lds"), -24}"
                    );
                }
                if (pg.Select(r => Cell(r, "seed")).Distinct().Count() > 1)
                {
                    string S(string m)
                    {
                        var v = pg.Where(x => Cell(x, "metric") == m)
                            .Select(x => Num(x, "value"))
                            .ToList();
                        return v.Count == 0
                            ? ""
                            : $"{F(v.Average())} (seeds {F(v.Min())}–{F(v.Max())})";
                    }
                    w.WriteLine(
                        $"  {pg.Key, -20} {"mean", 4}  {S("pearson"), -24} {S("spearman"), -24} {S("lds"), -24}"
                    );
                }
            }
            // LOO against LOO of another seed: the ceiling any trajectory-free score can reach
            var scores = rows.Where(r => r["quantity"] == "score" && Cell(r, "optimizer") == og.Key)
                .ToList();
            var seeds = scores.Select(r => Cell(r, "seed")).Distinct().Order().ToList();
            for (int a = 0; a + 1 < seeds.Count; a++)
            {
                var la = Table(scores, og.Key, seeds[a], "loo");
                var lb = Table(scores, og.Key, seeds[a + 1], "loo");
                if (la is null || lb is null)
                    continue;
                var (m, lo, hi, _) = Ladder.Summarise(Ladder.PerTest(la, lb, "pearson"), 0);
                var (ms, los, his, _) = Ladder.Summarise(Ladder.PerTest(la, lb, "spearman"), 0);
                w.WriteLine(
                    $"  LOO seed {seeds[a]} vs LOO seed {seeds[a + 1]}: Pearson {F(m)} [{F(lo)}, {F(hi)}], Spearman {F(ms)} [{F(los)}, {F(his)}] (the seed-to-seed spread of LOO itself)"
                );
            }
            double Closure(string provider) =>
                rows.Where(r =>
                        r["quantity"] == "closure_residual"
                        && Cell(r, "optimizer") == og.Key
                        && Cell(r, "provider") == provider
                    )
                    .Select(r => Num(r, "value"))
                    .DefaultIfEmpty(double.NaN)
                    .Max();
            var closure = Closure("exact-A");
            // the influence provider this table holds (its name carries the curvature actually used)
            var influence = rows.Where(r =>
                    r["quantity"] == "closure_residual"
                    && Cell(r, "optimizer") == og.Key
                    && Cell(r, "provider").StartsWith("influence-", StringComparison.Ordinal)
                )
                .Select(r => Cell(r, "provider"))
                .FirstOrDefault()
                ?? ScoreProviders.InfluenceName(ScoreProviders.InfluenceCurvatureDefault);
            var cg = Closure(influence);
            var step = rows.Where(r =>
                    r["quantity"] == "max_step_residual" && Cell(r, "optimizer") == og.Key
                )
                .Select(r => Num(r, "value"))
                .DefaultIfEmpty(double.NaN)
                .Max();
            var bad = rows.Where(r =>
                    r["quantity"] == "sanity_misaligned"
                    && Cell(r, "optimizer") == og.Key
                    && Num(r, "value") > 0
                )
                .Select(r => $"{Cell(r, "provider")} (seed {Cell(r, "seed")})")
                .ToList();
            w.WriteLine(
                $"  exact-A closure residual (relative, max over seeds): {closure:G3}; worst per-step residual {step:G3}"
            );
            var its = rows.Where(r =>
                    r["quantity"] == "solver_iterations"
                    && Cell(r, "optimizer") == og.Key
                    && Cell(r, "provider") == influence
                )
                .Select(r => Num(r, "value"))
                .DefaultIfEmpty(double.NaN)
                .Max();
            if (double.IsFinite(cg))
                w.WriteLine(
                    $"  {influence} ({(double.IsFinite(its) ? $"CG ≤ {its:F0} iterations per test row, " : "closed form, ")}λ = {ScoreProviders.InfluenceDamping}) residual ‖(C + λI)u − ∇f‖/‖∇f‖ (max over seeds): {cg:G3}{(cg > 1e-6 ? " — not solved (C + λI not positive definite, or iterations ran out): its scores are not the influence function" : "")}"
                );
            w.WriteLine(
                $"  sanity (a one-row shift must not agree better): {(bad.Count == 0 ? "every provider aligned" : "shift wins for " + string.Join(", ", bad) + " — no signal or misaligned")}"
            );
            double Sec(string q) =>
                rows.Where(r => r["quantity"] == q && Cell(r, "optimizer") == og.Key)
                    .Sum(r => Num(r, "value"));
            w.WriteLine(
                $"  time: record {Sec("seconds_record"):F0} s, exact-A/TracInCP/grad-dot tables {Sec("seconds_cheap_providers"):F0} s, linear response {Sec("seconds_linear_response"):F0} s, influence {Sec("seconds_influence"):F0} s, LOO replays {Sec("seconds_loo"):F0} s, LDS replays {Sec("seconds_lds"):F0} s ({Sec("replays"):F0} replays)"
            );
        }
        _ = metrics;
    }
}
