using System.CommandLine;
using System.Globalization;
using Telescope.Cli.Hosting;
using Telescope.Experiments.Hosting;
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
            Description =
                "Compute NN kernel norms every k-th step (default 10, a uniform subsample of steps; 1 = every step, as the spec asks).",
            DefaultValueFactory = _ => 10,
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
            var study = new GbtVsNnStudy(cfg);
            return StudyFace.RunAndReport(
                study,
                r.GetValue(common.Device) ?? "cpu",
                common,
                r,
                cfg.Seeds,
                (table, outDir, source) =>
                {
                    var html = Path.Combine(outDir, "gbt-vs-nn.html");
                    var caption =
                        $"Data: {source}\nTable: {Path.GetFileName(table)} (tidy long format); provenance in run.json. Means over seeds.\nR(p) = mean_t max_test ‖k_t‖ / mean_t max_train ‖k_t‖; NN: plain tangent kernel at θ_(t−1), ‖K(x, X_B)‖/b; GBT: 1/√n_leaf.";
                    Telescope.Plots.TreeAndModeFigures.gbtVsNn(table, html, caption);
                    return [Path.GetFileName(html), Telescope.Plots.Offline.PlotlyFileName];
                },
                PrintGbtSummary
            );
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

/// <summary><c>telescope study lmc</c>.</summary>
public static class LmcCommand
{
    private static double Num(IReadOnlyDictionary<string, string> r, string c) =>
        double.TryParse(r[c], NumberStyles.Float, CultureInfo.InvariantCulture, out var v)
            ? v
            : double.NaN;

    /// <summary>The lmc command.</summary>
    public static Command Build()
    {
        var c = new Command(
            "lmc",
            "Linear mode connectivity and gradient stabilisation of a small CNN with and without batch norm on Fashion-MNIST (paper Fig. 6; spec §4.5 CPU variant, scaled down)."
        );
        var common = new StudyCommand.Common("lmc", "float32");
        common.DType.Description = "float32 only (the CNN runs in float32).";
        common.AddTo(c);
        var d = new LmcConfig();
        var steps = new Option<int>("--steps")
        {
            Description = $"Trunk steps T; γ ÷10 at T/2 and 3T/4 (default {d.Steps}; spec 2000).",
            DefaultValueFactory = _ => d.Steps,
        };
        var batch = new Option<int>("--batch")
        {
            Description = "Batch size.",
            DefaultValueFactory = _ => d.Batch,
        };
        var lr = new Option<double>("--lr")
        {
            Description = "Initial learning rate γ.",
            DefaultValueFactory = _ => d.LearningRate,
        };
        var spawns = OptionParsing.Many(
            "--spawns",
            $"Spawn steps t′ (default {string.Join(',', d.Spawns)})."
        );
        var children = new Option<int>("--children")
        {
            Description = "Children per spawn (pairs compared).",
            DefaultValueFactory = _ => d.Children,
        };
        var alphas = new Option<int>("--alphas")
        {
            Description = "Equally spaced α in [0, 1].",
            DefaultValueFactory = _ => d.Alphas,
        };
        var evalImages = new Option<int>("--eval-images")
        {
            Description = "Test images for the barrier.",
            DefaultValueFactory = _ => d.EvalImages,
        };
        var gradImages = new Option<int>("--gradient-images")
        {
            Description = "Test images for the gradient change.",
            DefaultValueFactory = _ => d.GradientImages,
        };
        var lag = new Option<int>("--gradient-lag")
        {
            Description = "k in ∇f_{t′+k} − ∇f_{t′}.",
            DefaultValueFactory = _ => d.GradientLag,
        };
        var gradSteps = OptionParsing.Many(
            "--gradient-steps",
            $"Steps t′ for the gradient change (default {string.Join(',', d.GradientSteps)})."
        );
        var channels = OptionParsing.Many("--channels", "Conv channels c1,c2 (default 16,32).");
        var models = OptionParsing.Many("--models", "cnn and/or cnn+bn (default both).");
        var noAugment = new Option<bool>("--no-augment")
        {
            Description = "Turn off random shifts and flips.",
        };
        var data = new Option<string?>("--data")
        {
            Description =
                $"Directory of the Fashion-MNIST IDX files (default {Telescope.Data.FashionMnist.DefaultDirectory}).",
        };
        foreach (
            var o in new Option[]
            {
                steps,
                batch,
                lr,
                spawns,
                children,
                alphas,
                evalImages,
                gradImages,
                lag,
                gradSteps,
                channels,
                models,
                noAugment,
                data,
            }
        )
            c.Options.Add(o);
        c.SetAction(r =>
        {
            int[] Ints(string name, Option<string[]> o, IEnumerable<int> fallback)
            {
                var xs = OptionParsing.Numbers(name, r.GetValue(o));
                if (xs.Any(x => x != Math.Floor(x)))
                    throw new UsageException($"{name}: whole numbers expected");
                return xs.Length > 0 ? xs.Select(x => (int)x).ToArray() : fallback.ToArray();
            }
            var seeds = OptionParsing.Seeds("--seed", r.GetValue(common.Seed));
            var cfg = d with
            {
                Steps = r.GetValue(steps),
                Batch = r.GetValue(batch),
                LearningRate = r.GetValue(lr),
                Spawns = Ints("--spawns", spawns, d.Spawns),
                Children = r.GetValue(children),
                Alphas = r.GetValue(alphas),
                EvalImages = r.GetValue(evalImages),
                GradientImages = r.GetValue(gradImages),
                GradientLag = r.GetValue(lag),
                GradientSteps = Ints("--gradient-steps", gradSteps, d.GradientSteps),
                Channels = Ints("--channels", channels, d.Channels),
                Models = OptionParsing.Words("--models", r.GetValue(models)) is { Length: > 0 } m
                    ? m
                    : d.Models,
                Augment = !r.GetValue(noAugment),
                Seeds = seeds.Length > 0 ? seeds : d.Seeds,
                DataDirectory = r.GetValue(data),
            };
            var problems = cfg.Problems().ToList();
            if (common.ParseDType(r) != TorchSharp.torch.ScalarType.Float32)
                problems.Add("--dtype: the lmc study runs in float32");
            if ((r.GetValue(common.Device) ?? "cpu") != "cpu")
                problems.Add("--device: the lmc study runs on the CPU only");
            if (problems.Count > 0)
                throw new UsageException(string.Join("; ", problems));
            return StudyFace.RunAndReport(
                new LmcStudy(cfg),
                r.GetValue(common.Device) ?? "cpu",
                common,
                r,
                cfg.Seeds,
                (table, outDir, source) =>
                {
                    var html = Path.Combine(outDir, "lmc.html");
                    var caption =
                        $"Data: {source}\nTable: {Path.GetFileName(table)} (tidy long format); provenance in run.json. Means over seeds.\nBarrier = max over α (and at α = ½) of [error(αθ₁+(1−α)θ₂) − (α·error(θ₁)+(1−α)·error(θ₂))]; BN statistics interpolated like weights.";
                    Telescope.Plots.TreeAndModeFigures.lmc(table, html, caption);
                    return [Path.GetFileName(html), Telescope.Plots.Offline.PlotlyFileName];
                },
                PrintSummary
            );
        });
        return c;
    }

    /// <summary>Per model: barrier (max and α = ½) and child error against t′, and the gradient change per layer against t′ (means over seeds).</summary>
    public static void PrintSummary(string table, TextWriter w)
    {
        var rows = TidyTable.ReadRows(table).ToList();
        w.WriteLine();
        w.WriteLine(
            "Linear mode connectivity on Fashion-MNIST (test error barrier between two children spawned at t′; means over seeds)"
        );
        foreach (var m in rows.GroupBy(r => r["model"]))
        {
            double trunk = m.Where(r => r["quantity"] == "test_error")
                .Select(r => Num(r, "value"))
                .DefaultIfEmpty(double.NaN)
                .Average();
            w.WriteLine(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"model {m.Key}: trunk test error {trunk:0.000}"
                )
            );
            w.WriteLine(
                $"  {"t′", 6} {"err barrier max", 16} {"err barrier ½", 14} {"loss barrier max", 17} {"child error", 12}"
            );
            foreach (
                var g in m.Where(r => r["quantity"] == "error_barrier_max")
                    .GroupBy(r => Num(r, "step"))
                    .OrderBy(g => g.Key)
            )
            {
                double Q(string q) =>
                    m.Where(r => r["quantity"] == q && Num(r, "step") == g.Key)
                        .Select(r => Num(r, "value"))
                        .DefaultIfEmpty(double.NaN)
                        .Average();
                w.WriteLine(
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"  {g.Key, 6} {Q("error_barrier_max"), 16:0.0000} {Q("error_barrier_half"), 14:0.0000} {Q("loss_barrier_max"), 17:0.0000} {Q("child_error"), 12:0.0000}"
                    )
                );
            }
            var grads = m.Where(r => r["quantity"] == "gradient_change").ToList();
            var layers = grads.Select(r => r["split"]).Distinct().ToList();
            w.WriteLine(
                $"  gradient change of the true-class logit (rows t′; columns layers): {string.Join(", ", layers)}"
            );
            foreach (var g in grads.GroupBy(r => Num(r, "step")).OrderBy(g => g.Key))
                w.WriteLine(
                    string.Create(CultureInfo.InvariantCulture, $"  {g.Key, 6} ")
                        + string.Join(
                            " ",
                            layers.Select(l =>
                                g.Where(r => r["split"] == l)
                                    .Select(r => Num(r, "value"))
                                    .DefaultIfEmpty(double.NaN)
                                    .Average()
                                    .ToString("0.000e+00", CultureInfo.InvariantCulture)
                                    .PadLeft(11)
                            )
                        )
                );
        }
    }
}
