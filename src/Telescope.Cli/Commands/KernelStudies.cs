using System.CommandLine;
using System.Globalization;
using Telescope.Cli.Hosting;
using Telescope.Studies;

namespace Telescope.Cli.Commands;

/// <summary><c>telescope study grokking</c> and <c>telescope study double-descent</c>: the smoother view and effective parameters (paper Figs 3, 4; spec §4.2, §4.3).</summary>
public static class KernelStudies
{
    /// <summary>The sub-commands.</summary>
    public static IEnumerable<Command> Commands() => [Grokking(), DoubleDescent()];

    /// <summary>Reject float32 (before a dry run's verdict), then the shared study tail.</summary>
    private static int Finish(
        IStudy study,
        StudyCommand.Common common,
        ParseResult r,
        IReadOnlyList<long> seeds,
        Action<string, TextWriter> print
    )
    {
        if (common.ParseDType(r) != TorchSharp.torch.ScalarType.Float64)
            throw new UsageException(
                "--dtype: the smoother studies run in float64 only (S, c and f̃ accumulate over thousands of steps; spec §0)"
            );
        return StudyRunner.RunAndReport(
            study,
            common,
            r,
            seeds,
            (table, outDir, source) => KernelReports.Figures(study.Name, table, outDir, source),
            print
        );
    }

    private static Command Grokking()
    {
        var c = new Command(
            "grokking",
            "Grokking and effective parameters (paper Fig. 4; spec §4.3): train/test loss and p_train, p_test of the smoother over log-spaced steps. --task polynomial (default; Kumar et al.'s exact model, full-batch GD γ = 500, A3 smoother) or mnist (M35-tiny with large initialisation α, AdamW, A2 smoother)."
        );
        var common = new StudyCommand.Common("grokking");
        common.AddTo(c);
        var task = new Option<string>("--task")
        {
            Description = "polynomial (default) or mnist.",
            DefaultValueFactory = _ => "polynomial",
        };
        var eps = OptionParsing.Many(
            "--epsilon",
            "ε of φ(h) = h + (ε/2)h² (polynomial), e.g. 0.05,0.2,0.5 (Fig. 11). Default 0.2."
        );
        var alpha = OptionParsing.Many(
            "--alpha",
            "Initialisation scale α (mnist), e.g. 5,6,7 (Fig. 12); 1 = standard (panel 3). Default 6."
        );
        var steps = new Option<int?>("--steps")
        {
            Description =
                "Steps T (default: 2000 polynomial — the spec's CPU variant is --steps 4000; 12000 mnist).",
        };
        var lr = new Option<double?>("--lr")
        {
            Description = "γ (default: 500 polynomial, 1e-4 mnist).",
        };
        var wd = new Option<double>("--weight-decay")
        {
            Description =
                "AdamW λ (mnist; default 0.3, 3× the paper's, as in the spec's CPU variant).",
            DefaultValueFactory = _ => 0.3,
        };
        var dim = new Option<int>("--dim")
        {
            Description =
                "Input dimension d (polynomial; default 100 — the spec warns against shrinking it).",
            DefaultValueFactory = _ => 100,
        };
        var units = new Option<int>("--units")
        {
            Description = "Units n_h (polynomial; default 500).",
            DefaultValueFactory = _ => 500,
        };
        var train = new Option<int?>("--train")
        {
            Description = "Training rows, all tracked (default 550 polynomial, 300 mnist).",
        };
        var test = new Option<int?>("--test")
        {
            Description = "Test rows for loss/accuracy (default 500 polynomial, 300 mnist).",
        };
        var probe = new Option<int?>("--probe-test")
        {
            Description = "Test rows tracked by the smoother (default 200 polynomial, all mnist).",
        };
        var every = new Option<int>("--record-every")
        {
            Description = "Write every k-th step (default: log grid).",
            DefaultValueFactory = _ => 0,
        };
        foreach (
            var o in new Option[]
            {
                task,
                eps,
                alpha,
                steps,
                lr,
                wd,
                dim,
                units,
                train,
                test,
                probe,
                every,
            }
        )
            c.Options.Add(o);
        c.SetAction(r =>
        {
            var t = (r.GetValue(task) ?? "polynomial").ToLowerInvariant() switch
            {
                "polynomial" => GrokkingTask.Polynomial,
                "mnist" => GrokkingTask.Mnist,
                var x => throw new UsageException(
                    $"--task: unknown task '{x}': expected polynomial or mnist"
                ),
            };
            var e = OptionParsing.Numbers("--epsilon", r.GetValue(eps));
            var a = OptionParsing.Numbers("--alpha", r.GetValue(alpha));
            var cfg = new GrokkingConfig
            {
                Task = t,
                Epsilons = e.Length > 0 ? e : [0.2],
                Alphas = a.Length > 0 ? a : [6],
                Steps = r.GetValue(steps),
                LearningRate = r.GetValue(lr),
                WeightDecay = r.GetValue(wd),
                Dim = r.GetValue(dim),
                Units = r.GetValue(units),
                TrainSize = r.GetValue(train),
                TestSize = r.GetValue(test),
                ProbeTest = r.GetValue(probe),
                RecordEvery = r.GetValue(every),
                Seeds = common.ParseSeeds(r),
                Device = r.GetValue(common.Device) ?? "cpu",
            };
            var problems = cfg.Problems().ToList();
            if (problems.Count > 0)
                throw new UsageException(string.Join("; ", problems));
            return Finish(
                new GrokkingStudy(cfg, m => Console.Error.WriteLine($"telescope: {m}")),
                common,
                r,
                cfg.Seeds,
                KernelReports.PrintGrokking
            );
        });
        return c;
    }

    private static Command DoubleDescent()
    {
        var c = new Command(
            "double-descent",
            "Double descent and effective parameters (paper Fig. 3/9; spec §4.2 CPU variant): M35 with 20% training label noise, one hidden layer of width h, plain SGD (A3 smoother); final train/test loss and p_train, p_test against h, with the validity gate and a verdict. --preset quick (ReLU, n = 200, γ = 0.05, ≤ 12k steps: shows the shapes but fails the gate), full (tanh, n = 200, γ = 0.0125, ≤ 48k steps: passes the gate but does not interpolate) or valid (tanh, n = 100, γ = 0.025, ≤ 48k steps, widths 2–256, 2 seeds: interpolates and passes the gate; see DoubleDescentPreset for measured times)."
        );
        var common = new StudyCommand.Common("double-descent");
        common.AddTo(c);
        var preset = new Option<string>("--preset")
        {
            Description = "quick (default), full or valid.",
            DefaultValueFactory = _ => "quick",
        };
        var widths = OptionParsing.Many(
            "--width",
            "Widths h (quick 2,4,8,16,32,128; full adds 512; valid 2,4,…,256)."
        );
        var steps = new Option<int?>("--steps")
        {
            Description = "Maximum steps (quick 12000, full and valid 48000).",
        };
        var lr = new Option<double?>("--lr")
        {
            Description = "γ (quick 0.05, full 0.0125 = the spec's CPU variant, valid 0.025).",
        };
        var noise = new Option<double>("--label-noise")
        {
            Description = "Training label flip probability.",
            DefaultValueFactory = _ => 0.2,
        };
        var train = new Option<int?>("--train")
        {
            Description = "Training rows, all tracked (quick and full 200, valid 100).",
        };
        var test = new Option<int>("--test")
        {
            Description = "Test rows for loss/accuracy.",
            DefaultValueFactory = _ => 500,
        };
        var activation = new Option<string>("--activation")
        {
            Description =
                "Hidden nonlinearity: relu (quick default, spec §4.2) or tanh (full and valid default; smooth, so telescoping errors are O(γ) and the gate can pass).",
        };
        foreach (
            var o in new Option[] { preset, widths, steps, lr, noise, train, test, activation }
        )
            c.Options.Add(o);
        c.SetAction(r =>
        {
            var p = (r.GetValue(preset) ?? "quick").ToLowerInvariant() switch
            {
                "quick" => DoubleDescentPreset.Quick,
                "full" => DoubleDescentPreset.Full,
                "valid" => DoubleDescentPreset.Valid,
                var x => throw new UsageException(
                    $"--preset: unknown preset '{x}': expected quick, full or valid"
                ),
            };
            var cfg = DoubleDescentConfig.For(p);
            var seeds = OptionParsing.Seeds("--seed", r.GetValue(common.Seed));
            var w = OptionParsing.Numbers("--width", r.GetValue(widths));
            if (w.Any(x => x < 1 || x != Math.Floor(x)))
                throw new UsageException("--width: widths must be positive integers");
            cfg = cfg with
            {
                Widths = w.Length > 0 ? w.Select(x => (int)x).ToArray() : cfg.Widths,
                MaxSteps = r.GetValue(steps) ?? cfg.MaxSteps,
                LearningRate = r.GetValue(lr) ?? cfg.LearningRate,
                LabelNoise = r.GetValue(noise),
                TrainSize = r.GetValue(train) ?? cfg.TrainSize,
                TestSize = r.GetValue(test),
                Seeds = seeds.Length > 0 ? seeds : cfg.Seeds,
                Device = r.GetValue(common.Device) ?? "cpu",
                Activation = r.GetValue(activation)?.ToLowerInvariant() switch
                {
                    null => cfg.Activation,
                    "relu" => Telescope.Models.ActivationKind.Relu,
                    "tanh" => Telescope.Models.ActivationKind.Tanh,
                    var x => throw new UsageException(
                        $"--activation: unknown '{x}': expected relu or tanh"
                    ),
                },
            };
            var problems = cfg.Problems().ToList();
            if (problems.Count > 0)
                throw new UsageException(string.Join("; ", problems));
            return Finish(
                new DoubleDescentStudy(cfg, m => Console.Error.WriteLine($"telescope: {m}")),
                common,
                r,
                cfg.Seeds,
                KernelReports.PrintDoubleDescent
            );
        });
        return c;
    }
}
