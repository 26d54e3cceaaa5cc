using System.CommandLine;
using System.Runtime.InteropServices;
using Telescope.Experiments.Hosting;
using Telescope.Experiments.Studies;

namespace Telescope.Cli.Commands;

/// <summary><c>telescope study &lt;name&gt;</c>: run a study to a tidy table, an offline figure, run.json and a summary.</summary>
public static class StudyCommand
{
    /// <summary>Build the command and its sub-commands.</summary>
    public static Command Build() =>
        StudyCommands.Group(
            "study",
            "Run a study: tidy CSV + offline HTML figure + run.json + printed summary.",
            StudyCatalog.All.Select(StudyCommands.For)
        );

    /// <summary>The host's options (not the study's): out, threads, checkpoint interval, resume, dry run.</summary>
    /// <param name="name">What <c>--out</c> defaults to under <c>out/</c> (<c>approximation</c>, <c>bench/ntk</c>).</param>
    public sealed class Common(string name)
    {
        /// <summary><c>--out</c>.</summary>
        public Option<string> Out { get; } =
            new("--out")
            {
                Description = $"Output folder. Default: out/{name}.",
                DefaultValueFactory = _ => StudyHost.DefaultDir(name),
            };

        /// <summary><c>--threads</c>.</summary>
        public Option<int> Threads { get; } =
            Int("--threads", ThreadsHelp, StudyHost.DefaultThreads);

        /// <summary><c>--parallel</c>.</summary>
        public Option<int> Parallel { get; } =
            Int("--parallel", ParallelHelp, StudyHost.DefaultParallel);

        /// <summary><c>--checkpoint-every</c>.</summary>
        public Option<int> CheckpointEvery { get; } =
            Int("--checkpoint-every", CheckpointHelp, RunOptions.DefaultCheckpointEvery);

        /// <summary><c>--dry-run</c>.</summary>
        public Option<bool> DryRun { get; } =
            new("--dry-run")
            {
                Description =
                    "Validate every option and exit (0 when valid) without loading data or writing anything (a --data file is read and checked, so a bad one gets the same line).",
            };

        /// <summary><c>--resume</c>.</summary>
        public Option<bool> Resume { get; } =
            new("--resume")
            {
                Description =
                    "Continue in --out: reuse finished runs; an interrupted run continues from its last checkpoint (approximation, grokking, double-descent: same final table, byte for byte) or, without one, starts again.",
            };

        /// <summary><c>--replace</c>.</summary>
        public Option<bool> Replace { get; } =
            new("--replace")
            {
                Description =
                    "Delete the results of another study found in --out (its run.json, table, figures and runs/) before running; without it such a folder is refused.",
            };

        private static Option<int> Int(string name, string description, int value) =>
            new(name) { Description = description, DefaultValueFactory = _ => value };

        private const string ThreadsHelp =
            "Intra-op threads of each run (recorded in run.json; same seed + threads ⇒ same numbers). Default (0): cores ÷ parallel runs — 1 on a multi-run study, all cores on one run.";

        private const string ParallelHelp =
            "Runs executed at once, each on its own threads (the tables do not depend on it). Default (0): cores ÷ threads, at most the number of runs.";

        private const string CheckpointHelp =
            "Checkpoint each run every N steps (model, optimiser, data order, recorder, table position); 0 = never. Studies approximation, grokking and double-descent checkpoint within a run; gbt-vs-nn and lmc resume whole runs.";

        /// <summary>Add every host option to <paramref name="c"/>.</summary>
        public void AddHostTo(Command c)
        {
            foreach (
                var o in new Option[]
                {
                    Out,
                    Threads,
                    Parallel,
                    CheckpointEvery,
                    Resume,
                    Replace,
                    DryRun,
                }
            )
                c.Options.Add(o);
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
            _sigterm ??= PosixSignalRegistration.Create(
                PosixSignal.SIGTERM,
                c =>
                {
                    c.Cancel = true;
                    _onTerm?.Invoke();
                }
            );
            _onTerm = cts.Cancel;
            return cts.Token;
        }

        private static PosixSignalRegistration? _sigterm;
        private static Action? _onTerm;
    }
}
