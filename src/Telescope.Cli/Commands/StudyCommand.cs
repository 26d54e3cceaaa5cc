using System.CommandLine;
using System.Globalization;
using Telescope.Cli.Hosting;
using Telescope.Experiments.Hosting;
using Telescope.Experiments.Studies;
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
        foreach (var d in StudyCatalog.All)
            cmd.Subcommands.Add(StudyCommands.For(d));
        return cmd;
    }

    /// <summary>Options every study shares.</summary>
    public sealed class Common
    {
        public Option<string> Out { get; }
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
                    "Intra-op threads of each run (recorded in run.json; same seed + threads ⇒ same numbers). Default (0): the cores left per run when as many runs as cores run at once — 1 on a multi-run study.",
                DefaultValueFactory = _ => ThreadPlan.Auto,
            };
        public Option<int> Parallel { get; } =
            new("--parallel")
            {
                Description =
                    "Runs executed at once, each on its own threads (the tables do not depend on it). Default (0): cores ÷ threads, at most the number of runs.",
                DefaultValueFactory = _ => ThreadPlan.Auto,
            };
        public Option<int> CheckpointEvery { get; } =
            new("--checkpoint-every")
            {
                Description =
                    "Checkpoint each run every N steps (model, optimiser, data order, recorder, table position); 0 = never. Studies approximation, grokking and double-descent checkpoint within a run; gbt-vs-nn and lmc resume whole runs.",
                DefaultValueFactory = _ => RunOptions.DefaultCheckpointEvery,
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

        /// <summary>The options of the host, not the study: out, threads, parallel runs, checkpoint interval, resume, dry run.</summary>
        public void AddHostTo(Command c)
        {
            c.Options.Add(Out);
            c.Options.Add(Threads);
            c.Options.Add(Parallel);
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

        /// <summary>The device exists in this build (loads libtorch to ask); otherwise a one-line usage error.</summary>
        public void CheckDevice(ParseResult r) => CheckDevice(r.GetValue(Device) ?? "cpu");

        /// <summary>The device exists in this build (loads libtorch to ask); otherwise a one-line usage error.</summary>
        public static void CheckDevice(string device)
        {
            try
            {
                TorchRuntime.EnsureLoaded();
                TorchRuntime.Device(device);
            }
            catch (ArgumentException e)
            {
                throw new UsageException($"--device: {e.Message}");
            }
        }

        /// <summary>Load libtorch, check the device, fix threads; every failure is a one-line usage error.</summary>
        public int Prepare(ParseResult r) => Prepare(r, r.GetValue(Device) ?? "cpu");

        /// <summary>Load libtorch, check <paramref name="device"/>, fix threads; every failure is a one-line usage error.</summary>
        public int Prepare(ParseResult r, string device) =>
            Prepare(device, r.GetValue(Threads));

        /// <summary>Load libtorch, check <paramref name="device"/>, fix <paramref name="threads"/> intra-op threads.</summary>
        public static int Prepare(string device, int threads)
        {
            CheckDevice(device);
            if (StudyLimits.ThreadProblems(threads).FirstOrDefault() is { } bad)
                throw new UsageException($"--threads {bad}");
            return TorchRuntime.SetThreads(threads);
        }

        /// <summary>The study's thread plan from <c>--threads</c> and <c>--parallel</c>; a bad count is a usage error.</summary>
        public ThreadPlan PlanThreads(ParseResult r, IStudy study)
        {
            int threads = r.GetValue(Threads),
                parallel = r.GetValue(Parallel);
            if (ThreadPlan.Problems(threads, parallel).FirstOrDefault() is { } bad)
                throw new UsageException(bad);
            return ThreadPlan.For(study, threads, parallel);
        }
    }
}
