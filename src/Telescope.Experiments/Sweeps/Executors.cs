using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Telescope.Experiments.Studies;

namespace Telescope.Experiments.Sweeps;

/// <summary>
/// Runs jobs one after another in this process (<see cref="StudyHost.Run"/>, always resuming); what the F# face
/// and each process-executor task use. A job that fails is reported and the next one runs.
/// </summary>
/// <param name="summaries">Where each finished job's study summary is printed (none when null).</param>
public sealed class InProcessExecutor(TextWriter? summaries = null) : ISweepExecutor
{
    /// <inheritdoc />
    public string Name => "in-process";

    /// <inheritdoc />
    public void Run(
        SweepSpec spec,
        IReadOnlyList<SweepJob> jobs,
        string sweepDir,
        CancellationToken cancel,
        IRunObserver observer
    )
    {
        foreach (var j in jobs)
        {
            cancel.ThrowIfCancellationRequested();
            try
            {
                RunOne(spec, j, sweepDir, cancel, observer, summaries);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                observer.Message($"telescope: job {j.Id} failed: {e.Message}");
            }
        }
    }

    /// <summary>
    /// Run one job into its folder with resume (what a task of a process executor does); returns its outcome.
    /// Bad input and failures throw as from <see cref="StudyHost.Run"/>.
    /// </summary>
    public static StudyOutcome RunOne(
        SweepSpec spec,
        SweepJob job,
        string sweepDir,
        CancellationToken cancel,
        IRunObserver observer,
        TextWriter? summary = null
    )
    {
        var d = StudyCatalog.Find(spec.Study);
        var plan = d.Plan(job.Parameters);
        var dir = job.Dir(sweepDir);
        Directory.CreateDirectory(dir);
        var outcome = StudyHost.Run(
            d,
            plan,
            dir,
            spec.ThreadsPerJob,
            StudyHost.Options(spec.CheckpointEvery, resume: true),
            cancel,
            observer,
            parallel: 1 // a sweep's parallelism is its workers; a job's runs go one after another
        );
        if (summary is not null)
        {
            d.Summarise(outcome.Table, summary);
            summary.WriteLine(
                $"\nwrote {outcome.Table}, {Path.ChangeExtension(outcome.Table, ".html")}, {outcome.Manifest}"
            );
        }
        return outcome;
    }
}

/// <summary>
/// Runs each job as a child process, at most <paramref name="workers"/> at once: <paramref name="task"/> followed by
/// the job's index (e.g. <c>telescope sweep SPEC --out DIR --task</c>), its output kept in the job's
/// <c>job.log</c>. On cancellation (Ctrl-C, SIGTERM) each child gets SIGTERM, stops between steps keeping its
/// checkpoints, and no new job starts.
/// </summary>
/// <param name="task">The command (file, then arguments) that runs job <c>i</c> when <c>i</c> is appended.</param>
/// <param name="workers">Jobs at once; 0: the cores over each job's threads (at least one).</param>
public sealed class LocalProcessExecutor(IReadOnlyList<string> task, int workers) : ISweepExecutor
{
    /// <summary>Its name as a backend: <c>local</c> (the CLI's default).</summary>
    public const string Backend = "local";

    /// <inheritdoc />
    public string Name => Backend;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    private const int Sigterm = 15;

    /// <inheritdoc />
    public void Run(
        SweepSpec spec,
        IReadOnlyList<SweepJob> jobs,
        string sweepDir,
        CancellationToken cancel,
        IRunObserver observer
    )
    {
        int done = 0;
        observer.Progress(
            "sweep",
            report =>
            {
                Parallel.ForEach(
                    jobs,
                    new ParallelOptions
                    {
                        MaxDegreeOfParallelism =
                            workers > 0
                                ? workers
                                : Math.Max(1, Environment.ProcessorCount / spec.ThreadsPerJob),
                    },
                    j =>
                    {
                        if (cancel.IsCancellationRequested)
                            return; // stopped: start no new job
                        var dir = j.Dir(sweepDir);
                        Directory.CreateDirectory(dir);
                        var psi = new ProcessStartInfo(task[0])
                        {
                            RedirectStandardOutput = true,
                            RedirectStandardError = true,
                            UseShellExecute = false,
                        };
                        foreach (var a in task.Skip(1).Append(j.Index.ToString()))
                            psi.ArgumentList.Add(a);
                        psi.Environment["CI"] = "true"; // no live display inside jobs
                        using var p = Process.Start(psi)!;
                        var log = new StringBuilder();
                        p.OutputDataReceived += (_, e) =>
                        {
                            lock (log)
                                log.AppendLine(e.Data);
                        };
                        p.ErrorDataReceived += (_, e) =>
                        {
                            lock (log)
                                log.AppendLine(e.Data);
                        };
                        p.BeginOutputReadLine();
                        p.BeginErrorReadLine();
                        // pass SIGTERM on, so the job stops between steps and a later sweep resumes it
                        using (cancel.Register(() => SendSignal(p.Id, Sigterm)))
                            p.WaitForExit();
                        AtomicFile.WriteAllText(Path.Combine(dir, "job.log"), log.ToString());
                        int n = Interlocked.Increment(ref done);
                        report("jobs", n, jobs.Count);
                        observer.Message(
                            $"  [{n}/{jobs.Count}] {j.Id} exit {p.ExitCode}",
                            routine: true
                        );
                    }
                );
                return 0;
            }
        );
        cancel.ThrowIfCancellationRequested(); // finished jobs and checkpoints are kept
    }
}

/// <summary>
/// Runs the jobs as one Slurm job array (<c>sweep.sbatch</c>: array task <c>i</c> runs <paramref name="task"/>
/// followed by <c>$SLURM_ARRAY_TASK_ID</c>), waits for it with <c>squeue</c>, and resubmits failed tasks up to
/// <paramref name="retries"/> times. Slurm's own logs go to <c>DIR/slurm/</c>.
/// </summary>
/// <param name="task">The command that runs job <c>i</c> when <c>i</c> is appended (absolute paths: tasks start in <paramref name="workDir"/>).</param>
/// <param name="retries">Resubmissions of failed tasks.</param>
/// <param name="timeoutSeconds">How long to wait for one submission before cancelling it.</param>
/// <param name="partition">The Slurm partition (null: the cluster's default).</param>
/// <param name="workDir">The folder tasks start in (null: this process's current folder).</param>
public sealed class SlurmExecutor(
    IReadOnlyList<string> task,
    int retries = SlurmExecutor.DefaultRetries,
    int timeoutSeconds = SlurmExecutor.DefaultTimeoutSeconds,
    string? partition = null,
    string? workDir = null
) : ISweepExecutor
{
    /// <summary>Resubmissions of failed tasks by default.</summary>
    public const int DefaultRetries = 1;

    /// <summary>Seconds to wait for one submission by default.</summary>
    public const int DefaultTimeoutSeconds = 3600;

    /// <summary>Its name as a backend: <c>slurm</c>.</summary>
    public const string Backend = "slurm";

    /// <inheritdoc />
    public string Name => Backend;

    private static string Quote(string a) => "'" + a.Replace("'", "'\\''") + "'";

    /// <summary>The sbatch script of an array over <paramref name="jobs"/> of <paramref name="spec"/> writing to <paramref name="sweepDir"/>.</summary>
    public string Script(SweepSpec spec, IReadOnlyList<SweepJob> jobs, string sweepDir)
    {
        var sb = new StringBuilder()
            .AppendLine("#!/bin/bash")
            .AppendLine($"#SBATCH --job-name=telescope-{spec.Name}")
            .AppendLine($"#SBATCH --array={string.Join(',', jobs.Select(j => j.Index))}")
            .AppendLine($"#SBATCH --cpus-per-task={spec.ThreadsPerJob}")
            .AppendLine(
                $"#SBATCH --output={Path.GetFullPath(Path.Combine(sweepDir, "slurm"))}/%A_%a.log"
            );
        if (partition is not null)
            sb.AppendLine($"#SBATCH --partition={partition}");
        return sb.AppendLine("export CI=true")
            .AppendLine($"cd {Quote(workDir ?? Environment.CurrentDirectory)}")
            .AppendLine($"exec {string.Join(' ', task.Select(Quote))} \"$SLURM_ARRAY_TASK_ID\"")
            .ToString();
    }

    /// <inheritdoc />
    public void Run(
        SweepSpec spec,
        IReadOnlyList<SweepJob> jobs,
        string sweepDir,
        CancellationToken cancel,
        IRunObserver observer
    )
    {
        var todo = jobs.ToList();
        for (int attempt = 0; attempt <= retries && todo.Count > 0; attempt++)
        {
            var script = Path.Combine(sweepDir, "sweep.sbatch");
            Directory.CreateDirectory(Path.Combine(sweepDir, "slurm"));
            AtomicFile.WriteAllText(script, Script(spec, todo, sweepDir));
            var (code, output) = Shell("sbatch", "--parsable", script);
            if (code != 0)
                throw new SweepException($"sbatch failed (exit {code}): {output}");
            var jobId = output.Split(';')[0].Trim();
            observer.Message(
                $"telescope: submitted Slurm array job {jobId} ({todo.Count} tasks, attempt {attempt + 1})"
            );
            var sw = Stopwatch.StartNew();
            while (Shell("squeue", "-h", "-j", jobId, "-o", "%i %t") is not (0, ""))
            {
                if (sw.Elapsed.TotalSeconds > timeoutSeconds)
                {
                    Shell("scancel", jobId);
                    throw new SweepException(
                        $"Slurm job {jobId} still running after {timeoutSeconds} s; cancelled (finished tasks are kept; run the sweep again to resume)"
                    );
                }
                Thread.Sleep(1000);
            }
            todo = todo.Where(j => !SweepRunner.Done(j, sweepDir)).ToList();
            if (todo.Count > 0 && attempt < retries)
                observer.Message(
                    $"telescope: {todo.Count} task(s) failed ({string.Join(", ", todo.Select(j => j.Id))}); resubmitting"
                );
        }
    }

    private static (int code, string output) Shell(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(psi)!;
            var o = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, o.Trim());
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new SweepException(
                $"{Option("backend")} slurm: cannot run `{file}` ({e.Message}); is Slurm installed here? (scripts/slurm-local.sh starts a single-node cluster)"
            );
        }
    }
}
