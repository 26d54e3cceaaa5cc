using System.CommandLine;
using Telescope.Cli.Hosting;
using Telescope.Experiments.Sweeps;

namespace Telescope.Cli.Commands;

/// <summary>
/// <c>telescope sweep SPEC</c>: read a sweep file (<see cref="SweepFile"/>) and run it with the library's
/// <see cref="SweepRunner"/>: local child processes (bounded <c>--workers</c>) or a Slurm job array, each task
/// being <c>telescope sweep SPEC --out DIR --task i</c>; then one merged table.
/// </summary>
public static class SweepCommand
{
    /// <summary>Build the command.</summary>
    public static Command Build()
    {
        var spec = new Argument<string>("SPEC")
        {
            Description = "Sweep file (JSON): name, command, base, grid, seeds, threads_per_job.",
        };
        var outOpt = new Option<string?>("--out")
        {
            Description = "Output folder (default out/sweeps/<name>).",
        };
        var backend = new Option<string>("--backend")
        {
            Description = "local (default) or slurm.",
            DefaultValueFactory = _ => LocalProcessExecutor.Backend,
        };
        var workers = new Option<int>("--workers")
        {
            Description = "Local backend: jobs at once (default: cores / threads_per_job).",
        };
        var task = new Option<int?>("--task")
        {
            Description = "Run only job i (what each Slurm array task does).",
            Hidden = true,
        };
        var retries = new Option<int>("--retries")
        {
            Description = "Slurm: resubmit failed tasks this many times.",
            DefaultValueFactory = _ => SlurmExecutor.DefaultRetries,
        };
        var timeout = new Option<int>("--timeout")
        {
            Description = "Slurm: give up waiting after this many seconds.",
            DefaultValueFactory = _ => SlurmExecutor.DefaultTimeoutSeconds,
        };
        var partition = new Option<string?>("--partition")
        {
            Description = "Slurm partition (default: the cluster's default).",
        };
        var c = new Command(
            "sweep",
            "Run a grid (options × seeds) as independent jobs — locally or as a Slurm job array — and merge their tables."
        )
        {
            spec,
            outOpt,
            backend,
            workers,
            task,
            retries,
            timeout,
            partition,
        };
        c.SetAction(r =>
        {
            var path = r.GetValue(spec)!;
            var s = SweepFile.Load(path);
            var outDir = r.GetValue(outOpt) ?? SweepRunner.DefaultDir(s);
            var cancel = StudyCommand.Common.CtrlC();
            if (r.GetValue(task) is { } i)
            {
                var jobs = s.Jobs();
                if (i < 0 || i >= jobs.Count)
                    throw new UsageException($"--task {i}: the sweep has jobs 0..{jobs.Count - 1}");
                var one = InProcessExecutor.RunOne(
                    s,
                    jobs[i],
                    outDir,
                    cancel,
                    CliObserver.Instance,
                    Console.Out
                );
                return one.Failed ? 1 : 0;
            }
            var be = (r.GetValue(backend) ?? LocalProcessExecutor.Backend).ToLowerInvariant();
            if (be is not (LocalProcessExecutor.Backend or SlurmExecutor.Backend))
                throw new UsageException($"--backend: unknown '{be}': expected local or slurm");
            int w = r.GetValue(workers);
            if (w < 0)
                throw new UsageException($"--workers must be ≥ 0, got {w}");
            string[] self =
            [
                .. Self(),
                "sweep",
                Path.GetFullPath(path),
                "--out",
                Path.GetFullPath(outDir),
                "--task",
            ];
            ISweepExecutor executor =
                be == LocalProcessExecutor.Backend
                    ? new LocalProcessExecutor(self, w)
                    : new SlurmExecutor(
                        self,
                        r.GetValue(retries),
                        r.GetValue(timeout),
                        r.GetValue(partition)
                    );
            var outcome = SweepRunner.Run(s, outDir, executor, cancel, CliObserver.Instance);
            Console.WriteLine(
                $"sweep {s.Name}: {outcome.Jobs.Count - outcome.Incomplete.Count}/{outcome.Jobs.Count} jobs completed; merged table {outcome.Table}"
            );
            if (outcome.Jobs.Count > 0 && Path.GetDirectoryName(outcome.Jobs[0].Dir(outDir)) is { } jobsDir)
                Console.WriteLine(
                    $"sweep {s.Name}: each job's figure, table and run.json are in {jobsDir}/<job>/; all on one page: telescope report --in {jobsDir}"
                );
            foreach (var f in outcome.Incomplete)
                Console.Error.WriteLine(
                    $"telescope: job {f.Id} did not complete; see {Path.Combine(f.Dir(outDir), "job.log")}"
                );
            return outcome.Incomplete.Count == 0 ? 0 : 1;
        });
        return c;
    }

    /// <summary>The command that starts this program again: the apphost, or dotnet and the dll.</summary>
    public static string[] Self()
    {
        var dll = typeof(TelescopeCli).Assembly.Location;
        var exe = Environment.ProcessPath ?? "";
        if (Path.GetFileNameWithoutExtension(exe) == "telescope")
            return [exe];
        var host =
            Path.GetFileNameWithoutExtension(exe) == "dotnet"
                ? exe
                : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        return [host, dll];
    }
}
