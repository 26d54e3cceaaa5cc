using System.CommandLine;
using System.Globalization;
using Telescope.Cli.Hosting;
using Telescope.Frames;
using Telescope.Studies;
using TorchSharp;

namespace Telescope.Cli.Commands;

/// <summary>
/// <c>telescope study gbt-vs-nn</c> (paper Fig. 5) and <c>telescope study lmc</c> (paper Fig. 6): each runs
/// through <see cref="StudyRunner"/> to a tidy CSV, an offline HTML figure, run.json and a printed summary.
/// </summary>
public static class TreeAndModeStudies
{
    private static double Num(IReadOnlyDictionary<string, string> r, string c) =>
        double.TryParse(r[c], NumberStyles.Float, CultureInfo.InvariantCulture, out var v)
            ? v
            : double.NaN;

    private static double Mean(IEnumerable<double> xs)
    {
        var list = xs.Where(double.IsFinite).ToList();
        return list.Count == 0 ? double.NaN : list.Average();
    }

    /// <summary>The gbt-vs-nn command.</summary>
    public static Command GbtVsNn()
    {
        var c = new Command(
            "gbt-vs-nn",
            "Gradient-boosted trees vs a neural network on irregular test inputs, through their kernels (paper Fig. 5; spec §4.4 CPU variant on a synthetic houses-like table, a labelled substitute)."
        );
        var common = new StudyCommand.Common("gbt-vs-nn");
        common.Seed.Description =
            "Seed(s): each drives the table, NN init/batch order and the test-set draws. Default: 0,1.";
        common.AddTo(c);
        var rows = new Option<int>("--rows")
        {
            Description = "Rows of the synthetic table.",
            DefaultValueFactory = _ => 8000,
        };
        var train = new Option<int>("--train")
        {
            Description = "Training rows (regular; validation included).",
            DefaultValueFactory = _ => 5000,
        };
        var validation = new Option<int>("--validation")
        {
            Description = "Validation rows taken from train for model selection.",
            DefaultValueFactory = _ => 1000,
        };
        var testSize = new Option<int>("--test-size")
        {
            Description = "Rows per test set.",
            DefaultValueFactory = _ => 1000,
        };
        var shares = OptionParsing.Many(
            "--shares",
            "Irregular shares p of the test sets (first must be 0). Default: 0,0.2,0.4,0.6,0.8."
        );
        var epochs = new Option<int>("--epochs")
        {
            Description = "NN epochs (plain SGD).",
            DefaultValueFactory = _ => 40,
        };
        var batch = new Option<int>("--batch")
        {
            Description = "NN batch size.",
            DefaultValueFactory = _ => 128,
        };
        var lr = OptionParsing.Many(
            "--lr",
            "NN learning-rate grid. Default: 0.001,0.003,0.01,0.03,0.1."
        );
        var every = new Option<int>("--kernel-every")
        {
            Description = "Compute NN kernel norms every k-th step (default 1 = every step).",
            DefaultValueFactory = _ => 1,
        };
        var depth = OptionParsing.Many("--depth", "GBT depth grid. Default: 2,3,4,5.");
        var eta = OptionParsing.Many("--eta", "GBT learning-rate grid. Default: 0.03,0.1,0.3.");
        var trees = OptionParsing.Many("--trees", "GBT number-of-trees grid. Default: 100,300.");
        foreach (
            var o in new Option[]
            {
                rows,
                train,
                validation,
                testSize,
                shares,
                epochs,
                batch,
                lr,
                every,
                depth,
                eta,
                trees,
            }
        )
            c.Options.Add(o);
        c.SetAction(r =>
        {
            var seeds = OptionParsing.Seeds("--seed", r.GetValue(common.Seed));
            var d = new GbtVsNnConfig();
            double[] Or(double[] given, IEnumerable<double> fallback) =>
                given.Length > 0 ? given : fallback.ToArray();
            var cfg = d with
            {
                Rows = r.GetValue(rows),
                Train = r.GetValue(train),
                Validation = r.GetValue(validation),
                TestSize = r.GetValue(testSize),
                Shares = Or(OptionParsing.Numbers("--shares", r.GetValue(shares)), d.Shares),
                Seeds = seeds.Length > 0 ? seeds : d.Seeds,
                Epochs = r.GetValue(epochs),
                Batch = r.GetValue(batch),
                LearningRates = Or(OptionParsing.Numbers("--lr", r.GetValue(lr)), d.LearningRates),
                KernelEvery = r.GetValue(every),
                Depths = Or(
                        OptionParsing.Numbers("--depth", r.GetValue(depth)),
                        d.Depths.Select(x => (double)x)
                    )
                    .Select(x => (int)x)
                    .ToArray(),
                Etas = Or(OptionParsing.Numbers("--eta", r.GetValue(eta)), d.Etas),
                TreeCounts = Or(
                        OptionParsing.Numbers("--trees", r.GetValue(trees)),
                        d.TreeCounts.Select(x => (double)x)
                    )
                    .Select(x => (int)x)
                    .ToArray(),
                DType = common.ParseDType(r),
            };
            var problems = cfg.Problems().ToList();
            if (problems.Count > 0)
                throw new UsageException(string.Join("; ", problems));
            if ((r.GetValue(common.Device) ?? "cpu") != "cpu")
                throw new UsageException("--device: gbt-vs-nn runs on the CPU only");
            int threads = common.Prepare(r);
            var outDir = r.GetValue(common.Out)!;
            var study = new GbtVsNnStudy(cfg);
            Console.Error.WriteLine(
                $"telescope: study gbt-vs-nn — {cfg.Seeds.Count} seeds, data: {study.DataSource}, {threads} threads → {outDir}"
            );
            var outcome = StudyRunner.Run(
                study,
                outDir,
                threads,
                cfg.Seeds,
                table =>
                {
                    var html = Path.Combine(outDir, "gbt-vs-nn.html");
                    var caption =
                        $"Data: {study.DataSource}\nTable: {Path.GetFileName(table)} (tidy long format); provenance in run.json. Means over seeds.\nR(p) = mean_t max_test ‖k_t‖ / mean_t max_train ‖k_t‖; NN: plain tangent kernel at θ_(t−1), ‖K(x, X_B)‖/b; GBT: 1/√n_leaf.";
                    Telescope.Plots.TreeAndModeFigures.gbtVsNn(table, html, caption);
                    return [Path.GetFileName(html), Telescope.Plots.Offline.PlotlyFileName];
                }
            );
            PrintGbtSummary(outcome.Table, Console.Out);
            Console.WriteLine(
                $"\nwrote {outcome.Table}, {Path.Combine(outDir, "gbt-vs-nn.html")}, {outcome.Manifest}"
            );
            return outcome.Failed ? 1 : 0;
        });
        return c;
    }

    /// <summary>Print, per irregular share p, the means over seeds of the MSEs, ΔMSE(p)/ΔMSE(0), R_NN and R_GBT.</summary>
    public static void PrintGbtSummary(string table, TextWriter w)
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
                "seconds",
            }
        )
        {
            var vals = rows.Where(r => r["quantity"] == q)
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
        foreach (var g in rows.Where(r => r["split"].StartsWith("p=")).GroupBy(r => r["split"]))
        {
            double M(string q) =>
                Mean(g.Where(r => r["quantity"] == q).Select(r => Num(r, "value")));
            w.WriteLine(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"{g.Key[2..], 6} {M("mse_nn"), 9:0.0000} {M("mse_gbt"), 9:0.0000} {M("relative_mse"), 13:0.000} {M("r_nn"), 8:0.000} {M("r_gbt"), 8:0.000}"
                )
            );
        }
    }
}
