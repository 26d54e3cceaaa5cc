using System.Text.Json;
using Telescope.Experiments.Studies;

namespace Telescope.Experiments.Sweeps;

/// <summary>Runs a sweep's pending jobs; a job is done when its folder's run.json says completed.</summary>
public interface ISweepExecutor
{
    /// <summary>What it is called in messages (<c>local</c>, <c>slurm</c>, <c>in-process</c>).</summary>
    string Name { get; }

    /// <summary>
    /// Run <paramref name="jobs"/> (each into <see cref="SweepJob.Dir"/> of <paramref name="sweepDir"/>, resuming
    /// what an earlier attempt left). A job that fails is left not done; cancellation throws.
    /// </summary>
    void Run(
        SweepSpec spec,
        IReadOnlyList<SweepJob> jobs,
        string sweepDir,
        CancellationToken cancel,
        IRunObserver observer
    );
}

/// <summary>What a sweep left: its jobs, those that did not complete, and the merged table.</summary>
public sealed record SweepOutcome(
    IReadOnlyList<SweepJob> Jobs,
    IReadOnlyList<SweepJob> Incomplete,
    string Table
);

/// <summary>
/// A sweep end to end: validate every job through the catalog before anything runs, hold the sweep's folder, run
/// the jobs not yet done with an executor (every job resumes: finished jobs are never rerun, interrupted ones
/// continue, and a job folder made by another configuration is refused by its study's resume), then merge every
/// completed job's table into <c>&lt;name&gt;.csv</c> with <c>job</c> and the grid's parameters as columns.
/// </summary>
public static class SweepRunner
{
    /// <summary>Where a sweep writes when no folder is given: <c>out/sweeps/&lt;name&gt;</c>.</summary>
    public static string DefaultDir(SweepSpec spec) =>
        StudyHost.DefaultDir(Path.Combine("sweeps", spec.Name));

    /// <summary>
    /// The jobs, after checking everything a run would (nothing is written): the catalog's verdict on every job
    /// (<see cref="SweepSpec.Problems"/>), the folder, the threads, that no finished job in the folder was made by
    /// another configuration (its run.json's config; <c>checkpoint_every</c> may differ), and each job's device.
    /// One <see cref="SweepException"/> names every problem.
    /// </summary>
    public static IReadOnlyList<SweepJob> Validate(SweepSpec spec, string sweepDir)
    {
        var problems = spec.Problems();
        if (problems.Count > 0)
            throw new SweepException(
                "the sweep's jobs are not valid (nothing was run): "
                    + string.Join("; ", problems.Take(10))
            );
        OutputFolder.Check(sweepDir);
        StudyHost.CheckThreads(spec.ThreadsPerJob);
        var d = StudyCatalog.Find(spec.Study);
        var jobs = spec.Jobs();
        var plans = jobs.Select(j => d.Plan(j.Parameters)).ToList();
        var differ = jobs.Zip(plans)
            .Where(x => Done(x.First, sweepDir))
            .Select(x => Differs(x.First, x.Second, sweepDir))
            .OfType<string>()
            .ToList();
        if (differ.Count > 0)
            throw new SweepException(
                $"{sweepDir}: finished jobs were made by a different configuration ({string.Join("; ", differ.Take(5))}); use the original sweep, or another folder"
            );
        foreach (var device in plans.Select(p => p.Device).Distinct())
            StudyHost.CheckDevice(device);
        return jobs;
    }

    /// <summary>How a finished job's run.json differs from what the job would run now (null: it does not).</summary>
    private static string? Differs(SweepJob job, StudyPlan plan, string sweepDir)
    {
        var old = JsonNode.Parse(File.ReadAllText(Path.Combine(job.Dir(sweepDir), "run.json")));
        var now = plan.Study.Config;
        var then = old?["config"] as JsonObject ?? [];
        var keys = now.Select(kv => kv.Key)
            .Union(then.Select(kv => kv.Key))
            .Where(k => k != "checkpoint_every")
            .Where(k => !JsonNode.DeepEquals(Parse(now[k]), Parse(then[k])))
            .Select(k =>
                $"{k}: {then[k]?.ToJsonString() ?? "(none)"} → {now[k]?.ToJsonString() ?? "(none)"}"
            )
            .ToList();
        return keys.Count == 0 ? null : $"{job.Id} {string.Join(", ", keys)}";
    }

    private static JsonNode? Parse(JsonNode? v) =>
        v is null ? null : JsonNode.Parse(v.ToJsonString());

    /// <summary>Run the sweep into <paramref name="sweepDir"/> with <paramref name="executor"/> and merge its tables.</summary>
    public static SweepOutcome Run(
        SweepSpec spec,
        string sweepDir,
        ISweepExecutor executor,
        CancellationToken cancel = default,
        IRunObserver? observer = null
    )
    {
        observer ??= ConsoleObserver.Instance;
        var jobs = Validate(spec, sweepDir);
        using var folder = OutputFolder.Acquire(sweepDir);
        observer.Message(
            $"telescope: sweep {spec.Name}: {jobs.Count} jobs ({executor.Name}) → {sweepDir}"
        );
        executor.Run(
            spec,
            jobs.Where(j => !Done(j, sweepDir)).ToList(),
            sweepDir,
            cancel,
            observer
        );
        var incomplete = jobs.Where(j => !Done(j, sweepDir)).ToList();
        var table = Merge(spec, jobs.Except(incomplete).ToList(), sweepDir);
        return new SweepOutcome(jobs, incomplete, table);
    }

    /// <summary>A job is done when its run.json says completed (written last, atomically).</summary>
    public static bool Done(SweepJob job, string sweepDir)
    {
        var m = Path.Combine(job.Dir(sweepDir), "run.json");
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

    /// <summary>
    /// Merge the tables of <paramref name="jobs"/> into <c>DIR/&lt;name&gt;.csv</c> (<c>TidyTable.Merge</c>),
    /// inserting after <c>output</c> the columns <c>job</c> and each grid parameter the job's table lacks.
    /// </summary>
    public static string Merge(SweepSpec spec, IReadOnlyList<SweepJob> jobs, string sweepDir)
    {
        var path = Path.Combine(sweepDir, spec.Name + ".csv");
        TidyTable.Merge(
            jobs.Select(j =>
                (
                    Directory
                        .GetFiles(j.Dir(sweepDir), "*.csv")
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
