using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Telescope.Cli.Hosting;
using Telescope.Frames;

namespace Telescope.Cli.Commands;

/// <summary>
/// A sweep: a grid of option values × seeds over one <c>telescope</c> command, each combination an
/// independent job with its own output folder. Read from a JSON file:
/// <code>
/// { "name": "lr-sweep", "command": ["study", "approximation"],
///   "base": { "--dataset": "synthetic", "--steps": 100 },
///   "grid": { "--lr": [0.01, 0.1], "--optimizer": ["sgd", "adamw"] },
///   "seeds": [0, 1], "threads_per_job": 1 }
/// </code>
/// </summary>
public sealed record SweepSpec(
    string Name,
    string[] Command,
    IReadOnlyList<KeyValuePair<string, string>> Base,
    IReadOnlyList<KeyValuePair<string, string[]>> Grid,
    long[] Seeds,
    int ThreadsPerJob
)
{
    /// <summary>One job: its index, id, the grid values by name (without dashes) and the full argument list.</summary>
    public sealed record Job(
        int Index,
        string Id,
        long Seed,
        IReadOnlyList<KeyValuePair<string, string>> Values,
        string[] Args
    );

    /// <summary>The jobs, in a fixed order (grid in file order, last key fastest; then seeds).</summary>
    public IReadOnlyList<Job> Jobs(string outDir)
    {
        var combos = new List<List<KeyValuePair<string, string>>> { new() };
        foreach (var (key, values) in Grid)
            combos = combos
                .SelectMany(c =>
                    values.Select(v => new List<KeyValuePair<string, string>>(c) { new(key, v) })
                )
                .ToList();
        var jobs = new List<Job>();
        foreach (var combo in combos)
        foreach (var seed in Seeds)
        {
            int i = jobs.Count;
            var id = $"job{i:D4}";
            var args = new List<string>(Command);
            foreach (var (k, v) in Base)
                args.AddRange(v.Length == 0 ? [k] : [k, v]);
            foreach (var (k, v) in combo)
                args.AddRange([k, v]);
            args.AddRange([
                "--seed",
                seed.ToString(CultureInfo.InvariantCulture),
                "--threads",
                ThreadsPerJob.ToString(CultureInfo.InvariantCulture),
                "--out",
                Path.Combine(outDir, "jobs", id),
            ]);
            jobs.Add(
                new Job(
                    i,
                    id,
                    seed,
                    combo
                        .Select(kv => new KeyValuePair<string, string>(
                            kv.Key.TrimStart('-'),
                            kv.Value
                        ))
                        .ToList(),
                    args.ToArray()
                )
            );
        }
        return jobs;
    }

    /// <summary>Read and validate a sweep file; every problem is listed in one <see cref="UsageException"/>.</summary>
    public static SweepSpec Load(string path)
    {
        if (!File.Exists(path))
            throw new UsageException($"sweep file not found: {path}");
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(
                File.ReadAllText(path),
                documentOptions: new JsonDocumentOptions
                {
                    CommentHandling = JsonCommentHandling.Skip,
                    AllowTrailingCommas = true,
                    AllowDuplicateProperties = false, // "name" twice is a mistake, not "the last one wins"
                }
            );
        }
        catch (JsonException e)
        {
            throw new UsageException(
                $"{path}: not valid JSON (line {e.LineNumber + 1}): {e.Message.Split('.')[0]}"
            );
        }
        if (root is not JsonObject o)
            throw new UsageException($"{path}: the sweep must be a JSON object");
        var problems = new List<string>();
        var known = new HashSet<string>
        {
            "name",
            "command",
            "base",
            "grid",
            "seeds",
            "threads_per_job",
        };
        foreach (var k in o.Select(kv => kv.Key).Where(k => !known.Contains(k)))
            problems.Add($"unknown key \"{k}\" (expected {string.Join(", ", known)})");
        string name = "sweep";
        if (o["name"] is JsonNode n)
        {
            name = n.GetValueKind() == JsonValueKind.String ? n.GetValue<string>() : "";
            if (
                name.Length == 0
                || name[0] == '.'
                || name.Any(ch => !(char.IsLetterOrDigit(ch) || ch is '-' or '_' or '.'))
            )
                problems.Add(
                    "\"name\" must be a non-empty string of letters, digits, '-', '_' or '.', not starting with '.' (it names a folder under out/sweeps)"
                );
        }
        string[] command = [];
        if (
            o["command"] is JsonArray ca
            && ca.All(x => x?.GetValueKind() == JsonValueKind.String)
            && ca.Count > 0
        )
            command = ca.Select(x => x!.GetValue<string>()).ToArray();
        else
            problems.Add(
                "\"command\" must be a non-empty array of strings, e.g. [\"study\", \"approximation\"]"
            );
        if (command.Length > 0 && command[0] is "sweep" or "report" or "script")
            problems.Add($"\"command\" cannot be `{command[0]}`");
        var baseArgs = new List<KeyValuePair<string, string>>();
        if (o["base"] is JsonNode b)
        {
            if (b is JsonObject bo)
                foreach (var (k, v) in bo)
                    if (Scalar(v) is { } s)
                        baseArgs.Add(new(k, s));
                    else
                        problems.Add($"\"base\".\"{k}\" must be a string, number or true");
            else
                problems.Add("\"base\" must be an object of option → value");
        }
        var grid = new List<KeyValuePair<string, string[]>>();
        if (o["grid"] is JsonObject g && g.Count > 0)
        {
            foreach (var (k, v) in g)
            {
                if (!k.StartsWith("--"))
                    problems.Add($"grid key \"{k}\" must be an option such as \"--lr\"");
                if (v is JsonArray va && va.Count > 0 && va.All(x => Scalar(x) is not null))
                {
                    var values = va.Select(x => Scalar(x)!).ToArray();
                    foreach (var dup in values.GroupBy(x => x).Where(x => x.Count() > 1))
                        problems.Add(
                            $"\"grid\".\"{k}\" lists {dup.Key} {dup.Count()} times (each value once)"
                        );
                    grid.Add(new(k, values));
                }
                else
                    problems.Add(
                        $"\"grid\".\"{k}\" must be a non-empty array of strings or numbers"
                    );
                if (k is "--seed" or "--out" or "--threads")
                    problems.Add(
                        $"\"{k}\" is set by the sweep itself (use \"seeds\" / \"threads_per_job\")"
                    );
            }
        }
        else
            problems.Add("\"grid\" must be a non-empty object of option → [values]");
        long[] seeds = [0];
        if (o["seeds"] is JsonNode sn)
        {
            if (
                sn is JsonArray sa
                && sa.Count > 0
                && sa.All(x =>
                    x?.GetValueKind() == JsonValueKind.Number
                    && x.GetValue<double>() == Math.Floor(x.GetValue<double>())
                )
            )
                seeds = sa.Select(x => (long)x!.GetValue<double>()).Distinct().ToArray();
            else
                problems.Add("\"seeds\" must be a non-empty array of integers");
        }
        int threads = 1;
        if (o["threads_per_job"] is JsonNode tn)
        {
            if (
                tn.GetValueKind() == JsonValueKind.Number
                && tn.GetValue<double>() is var td
                && td >= 1
                && td == Math.Floor(td)
            )
                threads = (int)td;
            else
                problems.Add("\"threads_per_job\" must be a positive integer");
        }
        if (problems.Count > 0)
            throw new UsageException($"{path}: " + string.Join("; ", problems));
        return new SweepSpec(name, command, baseArgs, grid, seeds, threads);
    }

    private static string? Scalar(JsonNode? v) =>
        v?.GetValueKind() switch
        {
            JsonValueKind.String => v.GetValue<string>(),
            JsonValueKind.Number => v.ToJsonString(),
            JsonValueKind.True => "",
            _ => null,
        };
}

/// <summary>
/// <c>telescope sweep SPEC</c>: expand a grid × seeds into independent jobs, run them locally with a
/// bounded number of workers or as a Slurm job array, then merge every job's tidy table into one
/// with the sweep's parameters as columns. Finished jobs are never rerun; interrupted ones resume.
/// </summary>
public static class SweepCommand
{
    /// <summary>Build the command.</summary>
    public static Command Build()
    {
        var c = new Command(
            "sweep",
            "Run a grid (options × seeds) as independent jobs — locally or as a Slurm job array — and merge their tables."
        );
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
            DefaultValueFactory = _ => "local",
        };
        var workers = new Option<int>("--workers")
        {
            Description = "Local backend: jobs at once (default: cores / threads_per_job).",
            DefaultValueFactory = _ => 0,
        };
        var task = new Option<int?>("--task")
        {
            Description = "Run only job i (what each Slurm array task does).",
            Hidden = true,
        };
        var retries = new Option<int>("--retries")
        {
            Description = "Slurm: resubmit failed tasks this many times.",
            DefaultValueFactory = _ => 1,
        };
        var timeout = new Option<int>("--timeout")
        {
            Description = "Slurm: give up waiting after this many seconds.",
            DefaultValueFactory = _ => 3600,
        };
        var partition = new Option<string?>("--partition")
        {
            Description = "Slurm partition (default: the cluster's default).",
        };
        c.Arguments.Add(spec);
        foreach (
            var o in new Option[] { outOpt, backend, workers, task, retries, timeout, partition }
        )
            c.Options.Add(o);
        c.SetAction(r =>
        {
            var s = SweepSpec.Load(r.GetValue(spec)!);
            var outDir = r.GetValue(outOpt) ?? Path.Combine("out", "sweeps", s.Name);
            var jobs = s.Jobs(outDir);
            if (r.GetValue(task) is { } i)
            {
                if (i < 0 || i >= jobs.Count)
                    throw new UsageException($"--task {i}: the sweep has jobs 0..{jobs.Count - 1}");
                return RunJobInProcess(jobs[i], s);
            }
            var be = (r.GetValue(backend) ?? "local").ToLowerInvariant();
            if (be is not ("local" or "slurm"))
                throw new UsageException($"--backend: unknown '{be}': expected local or slurm");
            int w = r.GetValue(workers);
            if (w < 0)
                throw new UsageException($"--workers must be ≥ 0, got {w}");
            Preflight(s, jobs);
            using var folder = OutputFolder.Acquire(outDir); // refused: bad input (TelescopeCli, exit 2)
            var cancel = StudyCommand.Common.CtrlC();
            Console.Error.WriteLine(
                $"telescope: sweep {s.Name}: {jobs.Count} jobs ({be}) → {outDir}"
            );
            var pending = jobs.Where(j => !Done(j, outDir)).ToList();
            if (be == "local")
                RunLocal(
                    pending,
                    s,
                    w > 0 ? w : Math.Max(1, Environment.ProcessorCount / s.ThreadsPerJob),
                    outDir,
                    cancel
                );
            else
                RunSlurm(
                    pending,
                    r.GetValue(spec)!,
                    s,
                    outDir,
                    r.GetValue(retries),
                    r.GetValue(timeout),
                    r.GetValue(partition)
                );
            var failed = jobs.Where(j => !Done(j, outDir)).ToList();
            var merged = Merge(s, jobs.Where(j => Done(j, outDir)).ToList(), outDir);
            Console.WriteLine(
                $"sweep {s.Name}: {jobs.Count - failed.Count}/{jobs.Count} jobs completed; merged table {merged}"
            );
            foreach (var f in failed)
                Console.Error.WriteLine(
                    $"telescope: job {f.Id} did not complete; see {Path.Combine(outDir, "jobs", f.Id, "job.log")}"
                );
            return failed.Count == 0 ? 0 : 1;
        });
        return c;
    }

    private static void Preflight(SweepSpec s, IReadOnlyList<SweepSpec.Job> jobs)
    {
        var problems = new List<string>();
        foreach (var j in jobs)
        {
            var args = s.Command[0] == "study" ? [.. j.Args, "--dry-run"] : j.Args;
            var parse = TelescopeCli.Build().Parse(args);
            if (parse.Errors.Count > 0)
            {
                problems.Add($"{j.Id}: {parse.Errors[0].Message}");
                continue;
            }
            if (s.Command[0] != "study")
                continue;
            var (o, e) = (Console.Out, Console.Error);
            var err = new StringWriter();
            Console.SetOut(TextWriter.Null);
            Console.SetError(err);
            int code;
            try
            {
                code = TelescopeCli.Run(args);
            }
            finally
            {
                Console.SetOut(o);
                Console.SetError(e);
            }
            if (code != 0)
                problems.Add($"{j.Id}: {err.ToString().Trim().Replace("telescope: ", "")}");
        }
        if (problems.Count > 0)
            throw new UsageException(
                "the sweep's jobs are not valid (nothing was run): "
                    + string.Join("; ", problems.Distinct().Take(10))
            );
    }

    private static string JobDir(SweepSpec.Job j, string outDir) =>
        Path.Combine(outDir, "jobs", j.Id);

    /// <summary>A job is done when its run.json says completed (written last, atomically).</summary>
    private static bool Done(SweepSpec.Job j, string outDir)
    {
        var m = Path.Combine(JobDir(j, outDir), "run.json");
        if (!File.Exists(m))
            return false;
        try
        {
            return JsonNode.Parse(File.ReadAllText(m))?["status"]?.GetValue<string>()
                == "completed";
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string[] WithResume(SweepSpec s, SweepSpec.Job j) =>
        s.Command[0] == "study" ? [.. j.Args, "--resume"] : j.Args;

    private static int RunJobInProcess(SweepSpec.Job j, SweepSpec s)
    {
        Directory.CreateDirectory(j.Args[^1]);
        return TelescopeCli.Run(WithResume(s, j));
    }

    /// <summary>The command that starts this program again (apphost, or dotnet + dll).</summary>
    public static (string file, string[] prefix) Self()
    {
        var dll = typeof(TelescopeCli).Assembly.Location;
        var exe = Environment.ProcessPath ?? "";
        if (Path.GetFileNameWithoutExtension(exe) == "telescope")
            return (exe, []);
        var host =
            Path.GetFileNameWithoutExtension(exe) == "dotnet"
                ? exe
                : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        return (host, [dll]);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    private const int Sigterm = 15;

    private static void RunLocal(
        IReadOnlyList<SweepSpec.Job> jobs,
        SweepSpec s,
        int workers,
        string outDir,
        CancellationToken cancel
    )
    {
        var (file, prefix) = Self();
        int done = 0;
        ProgressDisplay.Run(
            "sweep",
            report =>
            {
                Parallel.ForEach(
                    jobs,
                    new ParallelOptions { MaxDegreeOfParallelism = workers },
                    j =>
                    {
                        if (cancel.IsCancellationRequested)
                            return; // stopped: start no new job
                        var dir = JobDir(j, outDir);
                        Directory.CreateDirectory(dir);
                        var psi = new ProcessStartInfo(file)
                        {
                            RedirectStandardOutput = true,
                            RedirectStandardError = true,
                            UseShellExecute = false,
                        };
                        foreach (var a in prefix.Concat(WithResume(s, j)))
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
                        // SIGTERM/Ctrl-C on the sweep: pass SIGTERM on, so each job stops between steps,
                        // keeps its checkpoints and finished runs, and a later sweep resumes it
                        using (cancel.Register(() => SendSignal(p.Id, Sigterm)))
                            p.WaitForExit();
                        AtomicFile.WriteAllText(Path.Combine(dir, "job.log"), log.ToString());
                        int n = Interlocked.Increment(ref done);
                        report("jobs", n, jobs.Count);
                        if (!ProgressDisplay.Interactive)
                            Console.Error.WriteLine(
                                $"  [{n}/{jobs.Count}] {j.Id} exit {p.ExitCode}"
                            );
                    }
                );
                return 0;
            }
        );
        cancel.ThrowIfCancellationRequested(); // exit 130: finished jobs and checkpoints are kept
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
            throw new UsageException(
                $"--backend slurm: cannot run `{file}` ({e.Message}); is Slurm installed here? (scripts/slurm-local.sh starts a single-node cluster)"
            );
        }
    }

    private static void RunSlurm(
        IReadOnlyList<SweepSpec.Job> jobs,
        string specPath,
        SweepSpec s,
        string outDir,
        int retries,
        int timeoutSeconds,
        string? partition
    )
    {
        var (file, prefix) = Self();
        var todo = jobs.ToList();
        for (int attempt = 0; attempt <= retries && todo.Count > 0; attempt++)
        {
            var script = Path.Combine(outDir, "sweep.sbatch");
            var logs = Path.Combine(outDir, "slurm");
            Directory.CreateDirectory(logs);
            string Q(string a) => "'" + a.Replace("'", "'\\''") + "'";
            var sb = new StringBuilder()
                .AppendLine("#!/bin/bash")
                .AppendLine($"#SBATCH --job-name=telescope-{s.Name}")
                .AppendLine($"#SBATCH --array={string.Join(',', todo.Select(j => j.Index))}")
                .AppendLine($"#SBATCH --cpus-per-task={s.ThreadsPerJob}")
                .AppendLine($"#SBATCH --output={Path.GetFullPath(logs)}/%A_%a.log");
            if (partition is not null)
                sb.AppendLine($"#SBATCH --partition={partition}");
            sb.AppendLine("export CI=true")
                .AppendLine($"cd {Q(Environment.CurrentDirectory)}")
                .AppendLine(
                    $"exec {string.Join(' ', new[] { file }.Concat(prefix).Concat(["sweep", Path.GetFullPath(specPath), "--out", Path.GetFullPath(outDir), "--task"]).Select(Q))} \"$SLURM_ARRAY_TASK_ID\""
                );
            AtomicFile.WriteAllText(script, sb.ToString());
            var (code, output) = Shell("sbatch", "--parsable", script);
            if (code != 0)
                throw new UsageException($"sbatch failed (exit {code}): {output}");
            var jobId = output.Split(';')[0].Trim();
            Console.Error.WriteLine(
                $"telescope: submitted Slurm array job {jobId} ({todo.Count} tasks, attempt {attempt + 1})"
            );
            var sw = Stopwatch.StartNew();
            while (true)
            {
                var (qc, q) = Shell("squeue", "-h", "-j", jobId, "-o", "%i %t");
                if (qc == 0 && q.Length == 0)
                    break;
                if (sw.Elapsed.TotalSeconds > timeoutSeconds)
                {
                    Shell("scancel", jobId);
                    throw new UsageException(
                        $"Slurm job {jobId} still running after {timeoutSeconds} s; cancelled (finished tasks are kept; run the sweep again to resume)"
                    );
                }
                Thread.Sleep(1000);
            }
            todo = todo.Where(j => !Done(j, outDir)).ToList();
            if (todo.Count > 0 && attempt < retries)
                Console.Error.WriteLine(
                    $"telescope: {todo.Count} task(s) failed ({string.Join(", ", todo.Select(j => j.Id))}); resubmitting"
                );
        }
    }

    /// <summary>
    /// Merge every completed job's table into <c>OUT/&lt;name&gt;.csv</c>, inserting after <c>output</c> the
    /// columns <c>job</c> and each grid option (without dashes) that the job's table does not already have.
    /// </summary>
    public static string Merge(SweepSpec s, IReadOnlyList<SweepSpec.Job> jobs, string outDir)
    {
        var path = Path.Combine(outDir, s.Name + ".csv");
        TidyTable.Merge(
            jobs.Select(j =>
                (
                    Directory
                        .GetFiles(JobDir(j, outDir), "*.csv")
                        .Where(f => Path.GetFileName(f) != "job.csv")
                        .OrderBy(f => f, StringComparer.Ordinal)
                        .FirstOrDefault()
                        ?? throw new InvalidDataException($"job {j.Id} has no table"),
                    (IReadOnlyList<KeyValuePair<string, string>>)[new("job", j.Id), .. j.Values]
                )
            ),
            path
        );
        return path;
    }
}
